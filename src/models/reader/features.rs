//! Turning QA examples into model inputs: token ids of context and question (with the trained
//! tokenizer), byte offsets of context tokens, an exact-match feature (the context token occurs
//! in the question), and the answer's start and end token for training.

use std::collections::HashSet;

use anyhow::{anyhow, Result};
use tokenizers::Tokenizer;

use crate::data::qa::QaExample;

/// One featurized example.
#[derive(Debug, Clone)]
pub struct Features {
    /// Question id.
    pub id: String,
    /// Context token ids (truncated to the maximum length).
    pub context: Vec<u32>,
    /// Byte range of each context token in the context.
    pub offsets: Vec<(usize, usize)>,
    /// Question token ids.
    pub question: Vec<u32>,
    /// 1.0 where the context token occurs in the question.
    pub exact_match: Vec<f32>,
    /// Answer start and end token (inclusive), when the first gold answer fits.
    pub target: Option<(usize, usize)>,
}

/// Featurizes examples; contexts longer than `max_context` tokens are cut.
pub fn featurize(
    tokenizer: &Tokenizer,
    examples: &[QaExample],
    max_context: usize,
    max_question: usize,
) -> Result<Vec<Features>> {
    let mut out = Vec::with_capacity(examples.len());
    // The last context's text, token ids and offsets (its questions follow one another).
    type Encoded = (String, Vec<u32>, Vec<(usize, usize)>);
    let mut cached: Option<Encoded> = None;
    for ex in examples {
        if cached.as_ref().map(|c| c.0.as_str()) != Some(&*ex.context) {
            let enc = tokenizer
                .encode(&*ex.context, false)
                .map_err(|e| anyhow!("tokenizer: {e}"))?;
            let n = enc.get_ids().len().min(max_context);
            cached = Some((
                ex.context.to_string(),
                enc.get_ids()[..n].to_vec(),
                enc.get_offsets()[..n].to_vec(),
            ));
        }
        let (_, context, offsets) = cached.as_ref().expect("set above");
        let q = tokenizer
            .encode(ex.question.as_str(), false)
            .map_err(|e| anyhow!("tokenizer: {e}"))?;
        let question: Vec<u32> = q
            .get_ids()
            .iter()
            .take(max_question.max(1))
            .copied()
            .collect();
        let qset: HashSet<u32> = question.iter().copied().collect();
        let exact_match = context
            .iter()
            .map(|id| if qset.contains(id) { 1.0 } else { 0.0 })
            .collect();
        let target =
            ex.answers
                .first()
                .zip(ex.answer_starts.first())
                .and_then(|(text, &start_char)| {
                    let start = ex.context.char_indices().nth(start_char).map(|(b, _)| b)?;
                    let end = start + text.len();
                    let s = offsets.iter().position(|&(_, e)| e > start)?;
                    let e = offsets.iter().rposition(|&(b, _)| b < end)?;
                    (s <= e).then_some((s, e))
                });
        out.push(Features {
            id: ex.id.clone(),
            context: context.clone(),
            offsets: offsets.clone(),
            question,
            exact_match,
            target,
        });
    }
    Ok(out)
}

/// The answer text of a token span.
pub fn span_text(context: &str, features: &Features, start: usize, end: usize) -> String {
    let (b, _) = features.offsets[start];
    let (_, e) = features.offsets[end];
    context.get(b..e).unwrap_or("").to_string()
}
