//! Strategies of weight compression and their fallback: a ladder of configurations walked
//! from the fewest bits towards more until one keeps at least `threshold` of the model's
//! quality (F1, bits per character, keep-recall: see [`Quality::retention`]) on the
//! validation part. Every configuration tried is recorded, with its sizes, its
//! validation retention, or the error that stopped it (the next is then tried).

use anyhow::Result;
use serde::Serialize;

use super::subject::{Part, Quality, Subject};
use crate::task::params::value::{choice_param, Choice};

use crate::weights::accounting::Accounting;
use crate::weights::codec::Codec;
use crate::weights::method::Method;
use crate::weights::model::Compressed;

/// What the ladder needs of a model: a configuration compressed, read back from its bytes and
/// scored on the validation part (never the evaluation part).
pub trait Candidates {
    /// The compressed model and its quality on the validation part.
    fn validate(&self, method: Method, seed: u64, codec: &Codec) -> Result<(Compressed, Quality)>;
}

impl<S: Subject + ?Sized> Candidates for S {
    fn validate(&self, method: Method, seed: u64, codec: &Codec) -> Result<(Compressed, Quality)> {
        let compressed = self.compress(method, seed, codec)?;
        let quality = self.score(Some(&compressed.bytes), Part::Validation, codec)?;
        Ok((compressed, quality))
    }
}
/// How the configuration is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// The configuration the parameters name, no fallback.
    Fixed,
    /// Round to nearest only: 4 bits in groups of 64, else 8 bits per channel.
    Simple,
    /// A byte budget (`target_bytes`): the fewest bits that fit it and keep the threshold.
    Mobile,
    /// The smallest configuration of the whole ladder that keeps the threshold.
    Advanced,
    /// `mobile` when `target_bytes` is set, else `advanced`.
    Auto,
}

impl Choice for Strategy {
    const WHAT: &'static str = "strategies";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("fixed", Strategy::Fixed),
            ("simple", Strategy::Simple),
            ("mobile", Strategy::Mobile),
            ("advanced", Strategy::Advanced),
            ("auto", Strategy::Auto),
        ]
    }
}

choice_param!(Strategy);

/// The ladder, fewest nominal bits per weight first.
pub fn ladder() -> Vec<Method> {
    vec![
        Method::Ternary,
        Method::Vq {
            dim: 4,
            entries: 256,
            residual: 0,
        },
        Method::Rtn { bits: 2, group: 64 },
        Method::SeedLm {
            block: 12,
            coefficients: 4,
        },
        Method::Rtn { bits: 3, group: 64 },
        Method::SeedLm {
            block: 8,
            coefficients: 3,
        },
        Method::Rtn { bits: 4, group: 64 },
        Method::Rtn { bits: 8, group: 0 },
    ]
}

/// The configurations `strategy` walks, in order.
pub fn rungs(strategy: Strategy, fixed: Method) -> Vec<Method> {
    match strategy {
        Strategy::Fixed => vec![fixed],
        Strategy::Simple => vec![
            Method::Rtn { bits: 4, group: 64 },
            Method::Rtn { bits: 8, group: 0 },
        ],
        // mobile and advanced walk the same ladder; the budget (auto: when given) filters.
        Strategy::Mobile | Strategy::Advanced | Strategy::Auto => ladder(),
    }
}

/// One configuration tried.
#[derive(Debug, Clone, Serialize)]
pub struct Tried {
    /// The method and its settings.
    pub method: Method,
    /// Its sizes (absent when it failed).
    pub accounting: Option<Accounting>,
    /// Bits per weight over every parameter, file as written.
    pub bpw: Option<f64>,
    /// The quality measure on the validation part (F1, bits per character, keep-recall).
    pub validation_quality: Option<f64>,
    /// Retention of that measure on the validation part.
    pub validation_retention: Option<f64>,
    /// Whether it kept the threshold (and fit the budget).
    pub passed: bool,
    /// Why it was not used, if it was not.
    pub note: Option<String>,
    /// Seconds to compress.
    pub compress_seconds: Option<f64>,
}

/// The configuration a strategy settled on, with what it tried.
pub struct Decision {
    /// The chosen method and its compressed model (None when every configuration failed).
    pub chosen: Option<(Method, Compressed)>,
    /// Whether the chosen one kept the threshold on validation.
    pub threshold_met: bool,
    /// Every configuration tried, in order.
    pub tried: Vec<Tried>,
}

/// Walks `rungs` from the first: compress, restore from the file's bytes, score on the
/// validation part; stop at the first that keeps `threshold` (and fits `budget`). When none
/// does, the last that worked (and fit) is chosen, marked as missing the threshold.
pub fn walk(
    subject: &(impl Candidates + ?Sized),
    original: &Quality,
    rungs: &[Method],
    threshold: f64,
    budget: Option<usize>,
    seed: u64,
    codec: &Codec,
) -> Result<Decision> {
    let mut tried = Vec::new();
    let mut fallback: Option<(Method, Compressed)> = None;
    for &method in rungs {
        let mut record = Tried {
            method,
            accounting: None,
            bpw: None,
            validation_quality: None,
            validation_retention: None,
            passed: false,
            note: None,
            compress_seconds: None,
        };
        match subject.validate(method, seed, codec) {
            Err(e) => record.note = Some(format!("failed: {e:#}")),
            Ok((compressed, quality)) => {
                let kept = quality.retention(original);
                record.accounting = Some(compressed.accounting.clone());
                record.bpw = Some(compressed.accounting.bpw_file());
                record.validation_quality = Some(quality.value());
                record.validation_retention = Some(kept);
                record.compress_seconds = Some(compressed.seconds);
                let fits = budget.is_none_or(|b| compressed.bytes.len() <= b);
                record.passed = fits && kept >= threshold;
                if !fits {
                    record.note =
                        Some(format!("{} bytes: over the budget", compressed.bytes.len()));
                } else if !record.passed {
                    record.note = Some(format!("retention {kept:.4} below {threshold}"));
                }
                if record.passed {
                    tried.push(record);
                    return Ok(Decision {
                        chosen: Some((method, compressed)),
                        threshold_met: true,
                        tried,
                    });
                }
                if fits {
                    fallback = Some((method, compressed));
                }
            }
        }
        tried.push(record);
    }
    Ok(Decision {
        chosen: fallback,
        threshold_met: false,
        tried,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model whose validation F1 per method is set by hand (the original scores 50), and
    /// whose evaluation part would rank the methods the other way round: the walk must never
    /// see it.
    struct Fake {
        validation: Vec<(Method, f64)>,
        model: burn::nn::Linear,
    }

    fn scored(f1: f64) -> Quality {
        Quality::per_item(vec![f1; 4])
    }

    impl Candidates for Fake {
        fn validate(
            &self,
            method: Method,
            seed: u64,
            codec: &Codec,
        ) -> Result<(Compressed, Quality)> {
            let Some(&(_, f1)) = self.validation.iter().find(|(m, _)| *m == method) else {
                anyhow::bail!("this method breaks");
            };
            let compressed = crate::weights::model::compress(
                &self.model,
                &serde_json::json!({}),
                method,
                seed,
                codec,
            )?;
            Ok((compressed, scored(f1)))
        }
    }

    fn fake() -> Fake {
        let device = crate::models::device::cpu();
        let model =
            crate::models::seeded(&device, 1, |d| burn::nn::LinearConfig::new(64, 64).init(d));
        let l = ladder();
        // Validation: ternary 10, (vq breaks), rtn2 30, seedlm3 48 (0.96), everything above 49.
        let validation = vec![
            (l[0], 10.0),
            (l[2], 30.0),
            (l[3], 48.0),
            (l[4], 49.0),
            (l[5], 49.0),
            (l[6], 49.5),
            (l[7], 50.0),
        ];
        Fake { validation, model }
    }

    #[test]
    fn the_walk_stops_at_the_first_configuration_that_keeps_the_threshold_on_validation() {
        let f = fake();
        let original = scored(50.0);
        let d = walk(&f, &original, &ladder(), 0.95, None, 0, &Codec::default()).unwrap();
        assert!(d.threshold_met);
        assert_eq!(d.chosen.unwrap().0, ladder()[3]);
        assert_eq!(d.tried.len(), 4);
        assert!(
            d.tried[1].note.as_deref().unwrap().starts_with("failed"),
            "{:?}",
            d.tried[1]
        );
        assert!(!d.tried[0].passed && !d.tried[2].passed && d.tried[3].passed);
        assert!((d.tried[3].validation_retention.unwrap() - 0.96).abs() < 1e-12);
    }

    #[test]
    fn a_budget_nothing_passes_in_falls_back_to_the_largest_that_fits() {
        let f = fake();
        let original = scored(50.0);
        let codec = Codec::default();
        let sizes: Vec<usize> = ladder()
            .iter()
            .map(|&m| {
                crate::weights::model::compress(&f.model, &serde_json::json!({}), m, 0, &codec)
                    .unwrap()
                    .bytes
                    .len()
            })
            .collect();
        // Room for rtn2 but not for SeedLM at 3 bits (the first that passes).
        let budget = sizes[2].max(sizes[0]);
        assert!(sizes[3] > budget, "{sizes:?}");
        let d = walk(&f, &original, &ladder(), 0.95, Some(budget), 0, &codec).unwrap();
        assert!(!d.threshold_met);
        let (method, c) = d.chosen.unwrap();
        assert!(c.bytes.len() <= budget);
        assert_eq!(method, ladder()[2]);
        assert!(d.tried.iter().all(|t| !t.passed));
    }
}
