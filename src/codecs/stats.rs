//! Per-codec statistics over responses, and the printed "COMPRESSION STATISTICS" block.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::evaluate::BatchResults;

/// Statistics of one codec over all responses.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CodecStats {
    /// Responses with a result (errors and empty inputs excluded from the ratios).
    pub samples: usize,
    /// Responses whose compression or round trip failed.
    pub errors: usize,
    /// Mean of compressed/original over responses.
    pub ratio_mean: f64,
    /// Median of compressed/original.
    pub ratio_median: f64,
    /// Smallest ratio.
    pub ratio_min: f64,
    /// Largest ratio.
    pub ratio_max: f64,
    /// Mean of original/compressed.
    pub factor_mean: f64,
    /// Total compressed / total original.
    pub ratio_aggregate: f64,
    /// 8 × total compressed / total original.
    pub bits_per_byte: f64,
    /// Mean seconds per compression.
    pub compression_time_mean: f64,
    /// Mean seconds per decompression.
    pub decompression_time_mean: f64,
    /// Total original MB / total compression seconds.
    pub compression_mb_s: f64,
    /// Total original MB / total decompression seconds.
    pub decompression_mb_s: f64,
    /// Bytes in.
    pub total_original_bytes: usize,
    /// Bytes out.
    pub total_compressed_bytes: usize,
}

/// Statistics per codec label, in the order the codecs were given.
pub fn summarize(batches: &[BatchResults]) -> Vec<(String, CodecStats)> {
    let Some(labels) = batches.first().map(|b| b.algorithms.clone()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, label) in labels.iter().enumerate() {
        let mut ratios = Vec::new();
        let mut factors = Vec::new();
        let (mut errors, mut orig, mut comp, mut ctime, mut dtime, mut timed) =
            (0, 0usize, 0usize, 0.0, 0.0, 0usize);
        for r in batches.iter().flat_map(|b| &b.responses) {
            let c = &r.compression_results[k];
            if c.error.is_some() {
                errors += 1;
                continue;
            }
            orig += c.original_size;
            comp += c.compressed_size;
            ctime += c.compression_time;
            dtime += c.decompression_time;
            timed += 1;
            if let (Some(ratio), Some(factor)) = (c.compression_ratio, c.compression_factor) {
                ratios.push(ratio);
                factors.push(factor);
            }
        }
        ratios.sort_by(f64::total_cmp);
        let mean = |v: &[f64]| {
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let median = if ratios.is_empty() {
            f64::NAN
        } else if ratios.len() % 2 == 1 {
            ratios[ratios.len() / 2]
        } else {
            (ratios[ratios.len() / 2 - 1] + ratios[ratios.len() / 2]) / 2.0
        };
        let mb = orig as f64 / 1e6;
        out.push((
            label.clone(),
            CodecStats {
                samples: ratios.len(),
                errors,
                ratio_mean: mean(&ratios),
                ratio_median: median,
                ratio_min: ratios.first().copied().unwrap_or(f64::NAN),
                ratio_max: ratios.last().copied().unwrap_or(f64::NAN),
                factor_mean: mean(&factors),
                ratio_aggregate: if orig > 0 {
                    comp as f64 / orig as f64
                } else {
                    f64::NAN
                },
                bits_per_byte: if orig > 0 {
                    8.0 * comp as f64 / orig as f64
                } else {
                    f64::NAN
                },
                compression_time_mean: if timed > 0 {
                    ctime / timed as f64
                } else {
                    f64::NAN
                },
                decompression_time_mean: if timed > 0 {
                    dtime / timed as f64
                } else {
                    f64::NAN
                },
                compression_mb_s: if ctime > 0.0 { mb / ctime } else { f64::NAN },
                decompression_mb_s: if dtime > 0.0 { mb / dtime } else { f64::NAN },
                total_original_bytes: orig,
                total_compressed_bytes: comp,
            },
        ));
    }
    out
}

/// The metrics.json of a codec run: per-codec statistics, flattened to the top level too when
/// the run has exactly one codec (so reports can aggregate `ratio_mean` directly).
pub fn metrics_json(
    stats: &[(String, CodecStats)],
    responses: usize,
    batches: usize,
) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("responses".into(), responses.into());
    map.insert("batches".into(), batches.into());
    let per: BTreeMap<&str, &CodecStats> = stats.iter().map(|(l, s)| (l.as_str(), s)).collect();
    map.insert(
        "per_codec".into(),
        serde_json::to_value(per).unwrap_or_default(),
    );
    if let [(label, single)] = stats {
        map.insert("codec".into(), label.clone().into());
        if let serde_json::Value::Object(flat) = serde_json::to_value(single).unwrap_or_default() {
            map.extend(flat);
        }
    }
    serde_json::Value::Object(map)
}

/// Seconds as µs / ms / s.
fn time(s: f64) -> String {
    if !s.is_finite() {
        "n/a".into()
    } else if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.3} s")
    }
}

/// The printed statistics block, one section per codec.
pub fn render(stats: &[(String, CodecStats)]) -> String {
    let mut out =
        String::from("==================== COMPRESSION STATISTICS ====================\n");
    for (label, s) in stats {
        out.push_str(&format!(
            "\n{label}  ({} samples, {} errors, {} bytes in)\n",
            s.samples, s.errors, s.total_original_bytes
        ));
        out.push_str(&format!(
            "  ratio (compressed/original): mean {:.4}  median {:.4}  min {:.4}  max {:.4}\n",
            s.ratio_mean, s.ratio_median, s.ratio_min, s.ratio_max
        ));
        out.push_str(&format!(
            "  factor (original/compressed): mean {:.3}x  aggregate {:.3}x  ({:.3} bits per byte)\n",
            s.factor_mean,
            1.0 / s.ratio_aggregate,
            s.bits_per_byte
        ));
        out.push_str(&format!(
            "  compression:   mean {:>10} per response   {:>9.2} MB/s\n",
            time(s.compression_time_mean),
            s.compression_mb_s
        ));
        out.push_str(&format!(
            "  decompression: mean {:>10} per response   {:>9.2} MB/s\n",
            time(s.decompression_time_mean),
            s.decompression_mb_s
        ));
    }
    out
}
