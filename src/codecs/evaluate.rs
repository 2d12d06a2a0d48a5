//! Evaluation of codecs on responses: sizes, ratio, timed compression and decompression, and a
//! verified round trip for every response and codec. A failing response is recorded with its
//! error and does not stop the others.

use serde::{Deserialize, Serialize};

use super::algorithm::Codec;
use super::timing::{measure, TimingPolicy};
use crate::data::texts::Text;

/// One codec on one response (the `compression_results` entries).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompressionResult {
    /// Algorithm name.
    pub algorithm: String,
    /// Level (None for algorithms without levels); `e` levels are marked by `extreme`.
    pub level: Option<i32>,
    /// xz/lzma extreme preset.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extreme: bool,
    /// Input bytes.
    pub original_size: usize,
    /// Output bytes.
    pub compressed_size: usize,
    /// compressed / original (None for empty input).
    pub compression_ratio: Option<f64>,
    /// original / compressed, the "×" factor.
    pub compression_factor: Option<f64>,
    /// Median seconds per compression call.
    pub compression_time: f64,
    /// Median seconds per decompression call.
    pub decompression_time: f64,
    /// What went wrong, if anything (then sizes and times are 0).
    pub error: Option<String>,
}

/// One response with its results for every codec.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseResults {
    /// Position of the response in the input.
    pub response_index: usize,
    /// Where it came from (file name, line, context number).
    pub source: String,
    /// Tokens in the response.
    pub token_count: usize,
    /// Characters in the response.
    pub text_length: usize,
    /// One entry per codec.
    pub compression_results: Vec<CompressionResult>,
}

/// A batch of responses (the top-level entries of compression_results.json).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchResults {
    /// Batch number.
    pub batch_idx: usize,
    /// Its responses.
    pub responses: Vec<ResponseResults>,
    /// Codec labels evaluated.
    pub algorithms: Vec<String>,
}

/// Evaluates one codec on one input.
pub fn evaluate_one(codec: &Codec, data: &[u8], policy: TimingPolicy) -> CompressionResult {
    let mut result = CompressionResult {
        algorithm: codec.algorithm.name().to_string(),
        level: codec.algorithm.levels().map(|_| codec.level),
        extreme: codec.extreme,
        original_size: data.len(),
        compressed_size: 0,
        compression_ratio: None,
        compression_factor: None,
        compression_time: 0.0,
        decompression_time: 0.0,
        error: None,
    };
    let (packed, ctime) = measure(policy, || codec.compress(data));
    let packed = match packed {
        Ok(p) => p,
        Err(e) => {
            result.error = Some(format!("compression failed: {e:#}"));
            return result;
        }
    };
    let (unpacked, dtime) = measure(policy, || codec.decompress(&packed, data.len()));
    match unpacked {
        Ok(u) if u == data => {}
        Ok(u) => {
            result.error = Some(format!(
                "round trip mismatch: {} bytes in, {} bytes back",
                data.len(),
                u.len()
            ));
            return result;
        }
        Err(e) => {
            result.error = Some(format!("decompression failed: {e:#}"));
            return result;
        }
    }
    result.compressed_size = packed.len();
    if !data.is_empty() {
        result.compression_ratio = Some(packed.len() as f64 / data.len() as f64);
        result.compression_factor = Some(data.len() as f64 / packed.len() as f64);
    }
    result.compression_time = ctime.seconds;
    result.decompression_time = dtime.seconds;
    result
}

/// Evaluates every codec on every text, grouped into batches (the input's own batches when it
/// has them, else `batch_size` consecutive responses). `progress` is told of each response.
pub fn evaluate(
    texts: &[Text],
    codecs: &[Codec],
    batch_size: usize,
    policy: TimingPolicy,
    mut progress: impl FnMut(usize),
) -> Vec<BatchResults> {
    let labels: Vec<String> = codecs.iter().map(Codec::label).collect();
    let mut batches: Vec<BatchResults> = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let batch_idx = text.batch.unwrap_or(i / batch_size.max(1));
        if batches.last().is_none_or(|b| b.batch_idx != batch_idx) {
            batches.push(BatchResults {
                batch_idx,
                responses: Vec::new(),
                algorithms: labels.clone(),
            });
        }
        let results = codecs
            .iter()
            .map(|c| evaluate_one(c, &text.bytes, policy))
            .collect();
        let batch = batches.last_mut().expect("pushed above");
        batch.responses.push(ResponseResults {
            response_index: i,
            source: text.source.clone(),
            token_count: text.token_count,
            text_length: String::from_utf8_lossy(&text.bytes).chars().count(),
            compression_results: results,
        });
        progress(i + 1);
    }
    batches
}
