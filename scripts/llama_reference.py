#!/usr/bin/env python3
"""llama.cpp (through llama-cpp-python) as the reference for runner's GGUF models.

Each sub-command reads what runner wrote (a GGUF file, token ids, texts) and writes what
llama.cpp computes as JSON, for tests/llm_reference.rs and scripts/llm_bench.sh to compare:

  tokenize --model M --texts texts.json --out ids.json      token ids of each text (no BOS, no special parsing)
  logits   --model M --ids ids.json --out logits.json       every position's logits of one sequence
  score    --model M --file F --window W --min-context C    bits per byte in runner's windows, tokens/s
  generate --model M --prompts prompts.json --max-tokens N  greedy continuations of prompts given as ids

The windows are runner's (models/llama/score.rs): the first window scores every token after
its first; each later one starts window - min_context further and scores its tokens past the
first min_context. Tokens are evaluated one batch per window.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
from llama_cpp import Llama


def model(path, n_ctx, threads, logits_all=True, f32_cache=False):
    """llama.cpp keeps keys and values in f16 unless asked for f32 (type 0)."""
    cache = {"type_k": 0, "type_v": 0} if f32_cache else {}
    return Llama(model_path=path, n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx, n_threads=threads,
                 n_threads_batch=threads, logits_all=logits_all, verbose=False, **cache)


def spans(n, window, min_context):
    stride = window - min_context
    out = [(0, min(n, window), 1)]
    start = 0
    while start + window < n:
        start += stride
        out.append((start, min(start + window, n), start + min_context))
    return [(s, e, f) for (s, e, f) in out if f < e and s < e]


def log_softmax(rows):
    rows = rows.astype(np.float64)
    top = rows.max(axis=1, keepdims=True)
    return rows - top - np.log(np.exp(rows - top).sum(axis=1, keepdims=True))


def cmd_tokenize(a):
    llm = model(a.model, 64, a.threads, logits_all=False)
    texts = json.load(open(a.texts))
    ids = [llm.tokenize(t.encode("utf-8"), add_bos=False, special=False) for t in texts]
    json.dump(ids, open(a.out, "w"))


def cmd_logits(a):
    ids = json.load(open(a.ids))
    llm = model(a.model, len(ids) + 8, a.threads, f32_cache=True)
    llm.eval(ids)
    json.dump(np.array(llm.scores[: len(ids)]).tolist(), open(a.out, "w"))


def cmd_score(a):
    text = open(a.file, "rb").read()
    llm = model(a.model, a.window, a.threads)
    ids = llm.tokenize(text, add_bos=False, special=False)
    bits, evaluated = 0.0, 0
    start_time = time.perf_counter()
    for (s, e, first) in spans(len(ids), a.window, a.min_context):
        llm.reset()
        llm.eval(ids[s:e])
        logp = log_softmax(np.array(llm.scores[: e - s]))
        for pos in range(first, e):
            bits -= logp[pos - s - 1, ids[pos]] / math.log(2)
        evaluated += e - s
    seconds = time.perf_counter() - start_time
    # Every token but the first is scored: the bytes of the rest of the text.
    scored_bytes = len(text) - len(llm.detokenize(ids[:1]))
    json.dump({"tokens": len(ids), "bits": bits, "scored_bytes": scored_bytes,
               "bits_per_byte": bits / scored_bytes, "seconds": seconds,
               "tokens_per_s": evaluated / seconds, "threads": a.threads,
               "window": a.window, "min_context": a.min_context}, sys.stdout)
    print()


def cmd_generate(a):
    prompts = json.load(open(a.prompts))
    llm = model(a.model, max(len(p) for p in prompts) + a.max_tokens + 8, a.threads)
    out = []
    for ids in prompts:
        llm.reset()
        llm.eval(ids)
        got = []
        for _ in range(a.max_tokens):
            nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            got.append(nxt)
            llm.eval([nxt])
        out.append(got)
    json.dump(out, open(a.out, "w"))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ["tokenize", "logits", "score", "generate"]:
        s = sub.add_parser(name)
        s.add_argument("--model", required=True)
        s.add_argument("--threads", type=int, default=2)
        s.add_argument("--out")
    sub.choices["tokenize"].add_argument("--texts", required=True)
    sub.choices["logits"].add_argument("--ids", required=True)
    sub.choices["score"].add_argument("--file", required=True)
    sub.choices["score"].add_argument("--window", type=int, default=2048)
    sub.choices["score"].add_argument("--min-context", type=int, default=512)
    sub.choices["generate"].add_argument("--prompts", required=True)
    sub.choices["generate"].add_argument("--max-tokens", type=int, default=16)
    a = p.parse_args()
    {"tokenize": cmd_tokenize, "logits": cmd_logits, "score": cmd_score, "generate": cmd_generate}[a.cmd](a)


if __name__ == "__main__":
    main()
