#!/usr/bin/env bash
# runner against llama.cpp on the same text, windows and threads, one after the other on an
# otherwise idle machine: bits per byte, tokens/s and peak memory of scoring; then runner's
# greedy generation speed. Needs llama-cpp-python in $RUNNER_PYTHON (.ci/run's environment).
#   scripts/llm_bench.sh [FILE]      # default: alice29.txt; results in target/bench/llm.json
set -euo pipefail
cd "$(dirname "$0")/.."
FILE="${1:-${RUNNER_DATA:-../shared/data}/canterbury/alice29.txt}"
MODEL="${MODEL:-smollm2-135m-instruct}"
WINDOW="${WINDOW:-2048}"
MIN_CONTEXT="${MIN_CONTEXT:-512}"
THREADS="${THREADS:-2}"
RUNNER="${RUNNER:-${CARGO_TARGET_DIR:-target}/debug/runner}"
PYTHON="${RUNNER_PYTHON:-$HOME/.cache/runner-venv/bin/python}"
OUT="${OUT:-target/bench/llm.json}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$(dirname "$OUT")"

GGUF="$("$RUNNER" llm info "$MODEL" | sed -n '1s/ .*//p')"
peak() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

RAYON_NUM_THREADS="$THREADS" /usr/bin/time -v "$RUNNER" llm score "$MODEL" "$FILE" \
  --window "$WINDOW" --min-context "$MIN_CONTEXT" --json "$TMP/runner.json" 2> "$TMP/runner.time"
/usr/bin/time -v "$PYTHON" scripts/llama_reference.py score --model "$GGUF" --file "$FILE" \
  --window "$WINDOW" --min-context "$MIN_CONTEXT" --threads "$THREADS" > "$TMP/llama.json" 2> "$TMP/llama.time"
RAYON_NUM_THREADS="$THREADS" /usr/bin/time -v "$RUNNER" llm generate "$MODEL" --chat --max-tokens 128 \
  --prompt "Write a short story about an otter who learns to compress files." > /dev/null 2> "$TMP/gen.txt"

"$PYTHON" - "$TMP" "$(peak "$TMP/runner.time")" "$(peak "$TMP/llama.time")" "$(peak "$TMP/gen.txt")" "$OUT" "$FILE" <<'PY'
import json, re, sys
tmp, runner_kb, llama_kb, gen_kb, out, file = sys.argv[1:]
ours = json.load(open(f"{tmp}/runner.json"))[0]["score"]
theirs = json.load(open(f"{tmp}/llama.json"))
gen = re.search(r"(\d+) generated, ([\d.]+) tokens/s", open(f"{tmp}/gen.txt").read())
record = {
    "file": file, "windows": ours["windows"],
    "runner": {"bits_per_byte": ours["bits_per_byte"], "tokens_per_s": ours["tokens_per_s"],
               "tokens": ours["tokens"], "peak_rss_mb": int(runner_kb) / 1024},
    "llama_cpp": {"bits_per_byte": theirs["bits_per_byte"], "tokens_per_s": theirs["tokens_per_s"],
                  "tokens": theirs["tokens"], "peak_rss_mb": int(llama_kb) / 1024},
    "runner_generation": {"tokens": int(gen.group(1)), "tokens_per_s": float(gen.group(2)),
                          "peak_rss_mb": int(gen_kb) / 1024},
}
record["bits_per_byte_ratio"] = ours["bits_per_byte"] / theirs["bits_per_byte"]
record["speed_ratio"] = ours["tokens_per_s"] / theirs["tokens_per_s"]
json.dump(record, open(out, "w"), indent=2)
print(json.dumps(record, indent=2))
PY
