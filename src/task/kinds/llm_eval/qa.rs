//! Zero-shot extractive QA with a pretrained model: each held-out question asked with its
//! context through the prompt (and the chat template), the greedy answer read by the answer
//! rule, scored with SQuAD v1.1's F1/EM; the generated text is kept with each record.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use serde_json::{json, Map, Value};

use super::measure::generate;
use super::params::{read_answer, LlmEvalParams};
use crate::metrics::qa_eval::evaluate;
use crate::models::llama::Pretrained;
use crate::task::builtin::{object, ExecContext};

/// The prompt of one question.
pub fn fill(prompt: &str, context: &str, question: &str) -> String {
    prompt
        .replace("{context}", context)
        .replace("{question}", question)
}

/// Answers the run's held-out questions; returns the metrics and writes sample_predictions.json.
pub fn run(p: &LlmEvalParams, model: &Pretrained, ctx: &ExecContext) -> Result<Map<String, Value>> {
    let (parts, eval) = p.split.evaluation_set(p.eval_questions, ctx.seed)?;
    if eval.is_empty() {
        anyhow::bail!(
            "{}: the held-out articles hold no question to ask",
            p.split.dataset
        );
    }
    let start = Instant::now();
    let (mut answers, mut generated) = (HashMap::new(), HashMap::new());
    let mut tokens = 0;
    for (i, ex) in eval.iter().enumerate() {
        ctx.progress(i, eval.len(), "questions");
        let g = generate(
            model,
            &fill(&p.prompt, &ex.context, &ex.question),
            p.chat,
            None,
            p.max_answer_tokens,
        )?;
        tokens += g.ids.len();
        answers.insert(ex.id.clone(), read_answer(p.answer_rule, &g.text));
        generated.insert(ex.id.clone(), g.text);
    }
    let seconds = start.elapsed().as_secs_f64();
    let (records, scores) = evaluate(&eval, &answers, p.bootstrap.max(1), ctx.seed);
    let keep = p
        .sample_predictions
        .unwrap_or(records.len())
        .min(records.len());
    let kept: Vec<Value> = records[..keep]
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["generated"] = json!(generated.get(&r.id));
            v
        })
        .collect();
    crate::store::atomic::write_json(&ctx.out("sample_predictions.json"), &kept)?;
    let o = &scores.overall;
    Ok(object(json!({
        "f1": o.f1, "em": o.em, "f1_ci_low": o.f1_ci.0, "f1_ci_high": o.f1_ci.1,
        "em_ci_low": o.em_ci.0, "em_ci_high": o.em_ci.1, "questions": o.n,
        "by_type": scores.by_type,
        "seconds_per_question": seconds / eval.len() as f64,
        "generated_tokens_per_s": tokens as f64 / seconds.max(1e-9),
        "empty_answers": answers.values().filter(|a| a.is_empty()).count(),
        "split": {"seed": p.split.split_seed, "eval_articles": parts.eval_titles},
    })))
}
