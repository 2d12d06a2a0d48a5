//! One `soft-compression` run: load (or build) the teacher, make each held-out window's memory
//! the way the run's method says (training the compressor first, resumable from the run's
//! checkpoint), generate every answer, and score it against the gold answers and against the
//! teacher's own answers from the uncompressed encoding (retention, paired).

use std::collections::HashMap;
use std::time::Instant;

use anyhow::Result;
use burn::module::Module;
use burn::tensor::{Bool, Tensor};
use serde_json::{json, Map, Value};

use super::params::{Method, Packing, SoftParams};
use crate::artifacts::soft_teacher::{split_windows, TrainedTeacher};
use crate::artifacts::token_classifier::ClassifierArtifactConfig;
use crate::artifacts::{ArtifactRequest, ArtifactStore};
use crate::data::qa::QaExample;
use crate::metrics::intervals::paired_ratio_interval;
use crate::metrics::qa_eval::evaluate;
use crate::models::soft::compressor::{first_states, CompressorConfig};
use crate::models::soft::distill::train_compressor;
use crate::models::soft::pooling::mean_pool;
use crate::models::soft::teacher::Tokens;
use crate::models::soft::text::{detokenize, encode};
use crate::models::soft::train::{answer, EncodedWindow, MemoryOf};
use crate::models::soft::unpack::DecoderSide;
use crate::task::builtin::{ExecContext, RunOutput};
use crate::task::params::value::Choice;

/// The token classifier of the `llmlingua2` control (prompt-compression's default, trained
/// on the same split, seed 0 so every run shares it).
pub fn classifier(p: &SoftParams) -> ClassifierArtifactConfig {
    let mut prompt = crate::task::kinds::prompt_compression::PromptParams::default();
    prompt.reading.split = p.split.clone();
    prompt.classifier(0)
}

/// What a method produced: answers per window and question, and its own figures.
struct Answers {
    ids: Vec<Vec<Vec<u32>>>,
    /// Seconds spent generating the answers (not training, not compressing).
    answer_seconds: f64,
    windows: Vec<EncodedWindow>,
    metrics: Map<String, Value>,
    artifacts: Vec<String>,
}

/// Runs the method on the held-out windows and scores it.
pub fn run(p: &SoftParams, ctx: &ExecContext) -> Result<RunOutput> {
    let store = ArtifactStore::default_location();
    let teacher = crate::artifacts::soft_teacher::load(&store, &p.teacher(), &ctx.device)?;
    let split = split_windows(&p.teacher(), &teacher.tokenizer)?;
    let chosen: Vec<usize> = match p.eval_windows {
        Some(n) => crate::data::sampling::sample((0..split.eval.len()).collect(), n, ctx.seed),
        None => (0..split.eval.len()).collect(),
    };
    let eval_text: Vec<_> = chosen.iter().map(|&i| split.eval[i].clone()).collect();
    let eval_ids: Vec<EncodedWindow> = chosen.iter().map(|&i| split.eval_ids[i].clone()).collect();
    let teacher_ids: Vec<Vec<Vec<u32>>> = chosen
        .iter()
        .map(|&i| teacher.greedy_eval[i].clone())
        .collect();
    let answers = method_answers(
        p,
        ctx,
        &store,
        &teacher,
        &split.train_ids,
        &eval_text,
        eval_ids,
    )?;
    let answer_seconds = answers.answer_seconds;
    let examples: Vec<QaExample> = eval_text.iter().flat_map(|w| w.questions.clone()).collect();
    let text = |ids: &[Vec<Vec<u32>>]| -> HashMap<String, String> {
        examples
            .iter()
            .zip(ids.iter().flatten())
            .map(|(ex, a)| (ex.id.clone(), detokenize(&teacher.tokenizer, a)))
            .collect()
    };
    let resamples = p.bootstrap.max(1);
    let (records, scores) = evaluate(&examples, &text(&answers.ids), resamples, ctx.seed);
    let (teacher_records, teacher_scores) =
        evaluate(&examples, &text(&teacher_ids), resamples, ctx.seed);
    let f1: Vec<f64> = records.iter().map(|r| r.f1).collect();
    let teacher_f1: Vec<f64> = teacher_records.iter().map(|r| r.f1).collect();
    let retention = scores.overall.f1 / teacher_scores.overall.f1;
    let ci = paired_ratio_interval(&f1, &teacher_f1, resamples, ctx.seed);
    let keep = p
        .sample_predictions
        .unwrap_or(records.len())
        .min(records.len());
    crate::store::atomic::write_json(
        &ctx.out("sample_predictions.json"),
        &records[..keep].to_vec(),
    )?;
    let context_tokens = answers
        .windows
        .iter()
        .map(|w| w.context.len().min(p.window_tokens))
        .sum::<usize>() as f64
        / answers.windows.len().max(1) as f64;
    let memory = memory_length(p, context_tokens);
    println!(
        "{}: F1 {:.2} [{:.2}, {:.2}], teacher F1 {:.2}, retention {retention:.3} [{:.3}, {:.3}] on {} questions",
        p.architecture.choice_name(), scores.overall.f1, scores.overall.f1_ci.0, scores.overall.f1_ci.1,
        teacher_scores.overall.f1, ci.0, ci.1, scores.overall.n
    );
    let mut metrics = json!({
        "f1": scores.overall.f1, "em": scores.overall.em,
        "f1_ci_low": scores.overall.f1_ci.0, "f1_ci_high": scores.overall.f1_ci.1,
        "em_ci_low": scores.overall.em_ci.0, "em_ci_high": scores.overall.em_ci.1,
        "teacher_f1": teacher_scores.overall.f1, "teacher_em": teacher_scores.overall.em,
        "retention": retention, "retention_ci_low": ci.0, "retention_ci_high": ci.1,
        "factor": memory.map(|m| context_tokens / m as f64),
        "context_tokens": context_tokens, "memory_vectors": memory,
        "questions": scores.overall.n, "windows": answers.windows.len(),
        "by_type": scores.by_type,
        "answer_seconds_per_question": answer_seconds / scores.overall.n.max(1) as f64,
    });
    if let Value::Object(m) = &mut metrics {
        m.extend(answers.metrics);
    }
    let Value::Object(metrics) = metrics else {
        unreachable!("a JSON object literal")
    };
    let mut artifacts = vec![
        ArtifactRequest::Tokenizer(p.tokenizer()).id(),
        teacher.artifact.id.clone(),
    ];
    artifacts.extend(answers.artifacts);
    Ok(RunOutput { metrics, artifacts })
}

/// The memory vectors a window gets (None: the whole encoding, or none at all).
fn memory_length(p: &SoftParams, context_tokens: f64) -> Option<usize> {
    match p.architecture {
        Method::Teacher | Method::QuestionOnly => None,
        Method::Llmlingua2 => Some((context_tokens as usize).min(p.target_length)),
        _ => Some(p.target_length),
    }
}

/// The method's answers on the held-out windows.
fn method_answers(
    p: &SoftParams,
    ctx: &ExecContext,
    store: &ArtifactStore,
    teacher: &TrainedTeacher,
    train: &[EncodedWindow],
    eval_text: &[crate::data::windows::Window],
    eval: Vec<EncodedWindow>,
) -> Result<Answers> {
    let model = &teacher.model;
    let d = model.d_model();
    let m = p.target_length.max(1);
    let (win, max_answer, batch) = (p.window_tokens, p.max_answer_tokens, p.batch_windows);
    let fixed = |memory: &MemoryOf<'_>, windows: Vec<EncodedWindow>| {
        let started = Instant::now();
        let ids = answer(model, &windows, win, max_answer, batch, memory);
        Answers {
            ids,
            answer_seconds: started.elapsed().as_secs_f64(),
            windows,
            metrics: Map::new(),
            artifacts: Vec::new(),
        }
    };
    Ok(match p.architecture {
        Method::Teacher => fixed(&|_, h| (h, None), eval),
        Method::MeanPool => fixed(&|t: &Tokens, h| (mean_pool(h, &t.lengths, m), None), eval),
        Method::FirstM => fixed(&|t: &Tokens, h| first_memory(t, h, m), eval),
        Method::QuestionOnly => fixed(
            &|t: &Tokens, _h| {
                (
                    Tensor::zeros([t.lengths.len(), 1, d], &t.ids.device()),
                    None,
                )
            },
            eval,
        ),
        Method::Llmlingua2 => {
            let (windows, artifact) = hard_compressed(p, ctx, store, teacher, eval_text, &eval)?;
            let mut out = fixed(&|_, h| (h, None), windows);
            out.windows = eval;
            out.artifacts.push(artifact);
            out
        }
        _ => trained(p, ctx, teacher, train, eval)?,
    })
}

/// The first M states, padding masked (a context shorter than M keeps its length).
fn first_memory(t: &Tokens, h: Tensor<3>, m: usize) -> (Tensor<3>, Option<Tensor<2, Bool>>) {
    let [b, l] = t.pad.dims();
    let pad = t.pad.clone().slice([0..b, 0..m.min(l)]);
    (first_states(h, m), Some(pad))
}

/// Trains the run's compressor (resuming from its checkpoint) and answers through it.
fn trained(
    p: &SoftParams,
    ctx: &ExecContext,
    teacher: &TrainedTeacher,
    train: &[EncodedWindow],
    eval: Vec<EncodedWindow>,
) -> Result<Answers> {
    let architecture = p
        .architecture
        .architecture()
        .expect("a trained architecture");
    let config = CompressorConfig::new(teacher.model.d_model(), p.target_length, p.window_tokens)
        .with_heads(p.teacher_heads)
        .with_unpack(p.decoder == DecoderSide::Unpack)
        .with_principal(p.packing == Packing::Principal)
        .with_select_reach(p.select_reach);
    let started = Instant::now();
    let (compressor, history) = train_compressor(
        &teacher.model,
        architecture,
        &config,
        &p.compressor_training(ctx.seed),
        train,
        &teacher.greedy_train,
        &ctx.out("checkpoint"),
        |epoch, epochs, loss| {
            ctx.progress(epoch, epochs, &format!("epochs, loss {loss:.3}"));
            println!("epoch {epoch}/{epochs}: loss {loss:.4}");
        },
    )?;
    let train_seconds = started.elapsed().as_secs_f64();
    let lines: String = history
        .iter()
        .map(|h| serde_json::to_string(h).unwrap_or_default() + "\n")
        .collect();
    crate::store::atomic::write_atomic(&ctx.out("curves.jsonl"), lines.as_bytes())?;
    let compressor = compressor.valid();
    // The compressor's own time, measured inside the answering pass (its output materialised
    // so the time is its own); the teacher's encoding, shared by every method, is not in it.
    let compressing = std::cell::Cell::new(0.0);
    let answer_started = Instant::now();
    let memory = |t: &Tokens, h| {
        let started = Instant::now();
        let m = compressor.readable(compressor.forward(h, t.pad.clone(), &t.lengths));
        let m = Tensor::from_data(m.into_data(), &t.ids.device());
        compressing.set(compressing.get() + started.elapsed().as_secs_f64());
        (m, compressor.memory_pad(&t.lengths, &t.ids.device()))
    };
    let ids = answer(
        &teacher.model,
        &eval,
        p.window_tokens,
        p.max_answer_tokens,
        p.batch_windows,
        &memory,
    );
    let compress_seconds = compressing.get();
    let answer_seconds = answer_started.elapsed().as_secs_f64() - compress_seconds;
    let last = history.last().cloned().unwrap_or_default();
    let metrics = json!({
        "compressor_parameters": compressor.num_params(),
        "epochs": history.len(),
        "train_seconds": train_seconds,
        "train_loss": last.train_loss,
        "compress_seconds_per_context": compress_seconds / eval.len().max(1) as f64,
    });
    let Value::Object(metrics) = metrics else {
        unreachable!("a JSON object literal")
    };
    Ok(Answers {
        ids,
        answer_seconds,
        windows: eval,
        metrics,
        artifacts: Vec::new(),
    })
}

/// The held-out windows compressed by llmlingua2 to the run's factor (kept ratio M / tokens),
/// encoded again, and the classifier's artifact id.
fn hard_compressed(
    p: &SoftParams,
    ctx: &ExecContext,
    store: &ArtifactStore,
    teacher: &TrainedTeacher,
    text: &[crate::data::windows::Window],
    ids: &[EncodedWindow],
) -> Result<(Vec<EncodedWindow>, String)> {
    let c = crate::artifacts::token_classifier::load(store, &classifier(p), &ctx.device)?;
    let scorer = crate::prompt::Scorer::Classifier(&c.model, &c.config);
    let compressed = text
        .iter()
        .zip(ids)
        .map(|(w, enc)| {
            let ratio = (p.target_length as f64 / enc.context.len().max(1) as f64).min(1.0);
            let kept = crate::prompt::compress(
                crate::prompt::Algorithm::Llmlingua2,
                &w.text,
                ratio,
                ctx.seed,
                scorer,
                None,
            )?;
            Ok(crate::data::windows::Window {
                text: kept.text,
                ..w.clone()
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((encode(&teacher.tokenizer, &compressed)?, c.artifact.id))
}
