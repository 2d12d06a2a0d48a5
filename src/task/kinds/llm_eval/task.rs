//! The `llm-eval` task: a pretrained model measured by bits per byte on named texts, or by
//! zero-shot QA on the held-out SQuAD articles. Every run records the model's SHA-256.
//!
//! ```toml
//! [experiment]
//! task = "llm-eval"
//! [params]
//! measure = "text"
//! [grid]
//! texts = ["canterbury/alice29.txt", "canterbury/lcet10.txt"]
//! window = [512, 2048]
//! ```

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};

use super::measure::bits_per_byte;
use super::params::{LlmEvalParams, Measure};
use crate::metrics::declared::MetricDef;
use crate::metrics::direction::Better;
use crate::models::llama::Pretrained;
use crate::task::builtin::{ExecContext, RunOutput};
use crate::task::kind::{BuiltinTask, Placement};
use crate::task::need::{data, Need};
use crate::task::params::ParamError;

const METRICS: &[MetricDef] = &[
    MetricDef::headline("bits_per_byte", "bits per byte", Better::Lower),
    MetricDef::headline("f1", "F1 (%)", Better::Higher).with_interval("f1_ci_low", "f1_ci_high"),
    MetricDef::headline("em", "EM (%)", Better::Higher).with_interval("em_ci_low", "em_ci_high"),
    MetricDef::count("questions", "questions"),
    MetricDef::count("scored_tokens", "tokens scored"),
    MetricDef::detail("tokens_per_s", "scoring (tokens/s)", Better::Higher),
    MetricDef::detail(
        "seconds_per_question",
        "answer time (s per question)",
        Better::Lower,
    ),
    MetricDef::detail(
        "generated_tokens_per_s",
        "generation (tokens/s)",
        Better::Higher,
    ),
    MetricDef::count("parameters", "model parameters"),
    MetricDef::detail("peak_memory_mb", "peak memory (MB)", Better::Lower),
];

/// The `llm-eval` task kind.
pub struct LlmEvalTask;

impl BuiltinTask for LlmEvalTask {
    type Params = LlmEvalParams;
    const NAME: &'static str = "llm-eval";
    const SUMMARY: &'static str =
        "a pretrained language model: bits per byte on texts, or zero-shot SQuAD F1/EM";
    const PLACEMENT: Placement = Placement::Burn;

    fn metrics(&self) -> &'static [MetricDef] {
        METRICS
    }

    fn check_params(&self, p: &LlmEvalParams) -> Result<(), ParamError> {
        if let Err(e) = p.windows().validate() {
            return Err(ParamError::new("min_context", e.to_string()));
        }
        if p.measure == Measure::Qa
            && !(p.prompt.contains("{context}") && p.prompt.contains("{question}"))
        {
            return Err(ParamError::new(
                "prompt",
                "the prompt needs both {context} and {question}",
            ));
        }
        if p.measure == Measure::Text && p.texts.0.is_empty() {
            return Err(ParamError::new("texts", "no text to score"));
        }
        Ok(())
    }

    fn needs_for(&self, p: &LlmEvalParams) -> Vec<Need> {
        let mut needs = vec![Need::Model {
            key: "model".into(),
            reference: p.model.clone(),
        }];
        match p.measure {
            Measure::Text => needs.extend(p.texts.0.iter().map(|t| data("texts", t))),
            Measure::Qa => needs.push(data("dataset", &p.split.dataset)),
        }
        needs
    }

    fn run(&self, p: &LlmEvalParams, ctx: &ExecContext) -> Result<RunOutput> {
        let model = Pretrained::named(&p.model, &ctx.device, true)?;
        let mut metrics = match p.measure {
            Measure::Text => texts(p, &model, ctx)?,
            Measure::Qa => super::qa::run(p, &model, ctx)?,
        };
        metrics.insert("model_sha256".into(), json!(model.sha256));
        metrics.insert("model_file".into(), json!(model.path));
        metrics.insert("model_format".into(), json!(model.format));
        metrics.insert("parameters".into(), json!(model.config.parameters()));
        metrics.insert(
            "peak_memory_mb".into(),
            json!(crate::store::provenance::peak_memory_mb()),
        );
        Ok(RunOutput {
            metrics,
            artifacts: Vec::new(),
        })
    }
}

/// Bits per byte of every text (its first `max_bytes`, cut at a character), and over all.
fn texts(p: &LlmEvalParams, model: &Pretrained, ctx: &ExecContext) -> Result<Map<String, Value>> {
    let (mut rows, mut bits, mut bytes, mut tokens, mut seconds, mut evaluated) =
        (Vec::new(), 0.0, 0, 0, 0.0, 0.0);
    for (i, name) in p.texts.0.iter().enumerate() {
        ctx.progress(i, p.texts.0.len(), name);
        let path = crate::data::resolve(name);
        let mut text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: not readable as UTF-8 text", path.display()))?;
        if let Some(max) = p.max_bytes {
            text.truncate(text.floor_char_boundary(max));
        }
        let s = bits_per_byte(model, &text, p.windows())?;
        println!(
            "{name}: {:.4} bits per byte ({} tokens, {:.1} tokens/s)",
            s.bits_per_byte, s.tokens, s.tokens_per_s
        );
        (bits, bytes, tokens, seconds) = (
            bits + s.bits,
            bytes + s.scored_bytes,
            tokens + s.scored_tokens,
            seconds + s.seconds,
        );
        evaluated += s.tokens_per_s * s.seconds;
        rows.push(json!({"text": name, "score": s}));
    }
    crate::store::atomic::write_json(&ctx.out("llm_eval_results.json"), &rows)?;
    Ok(crate::task::builtin::object(json!({
        "bits_per_byte": bits / bytes.max(1) as f64,
        "scored_tokens": tokens,
        "scored_bytes": bytes,
        "tokens_per_s": evaluated / seconds.max(1e-9),
        "seconds": seconds,
        "window": p.window,
        "min_context": p.min_context,
    })))
}
