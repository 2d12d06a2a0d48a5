//! The parameters of a `weight-compression` run: the subject, the method family and its
//! settings, the strategy, and the reader and split it shares with the QA kinds.

use anyhow::Result;
use serde::Serialize;

use super::ladder::Strategy;
use super::subject::SubjectKind;
use crate::task::kinds::qa_reader::ReaderParams;
use crate::task::params::define::params;
use crate::task::params::value::{choice_param, Choice};
use crate::weights::codec::validate;
use crate::weights::method::Method;

/// The method families a run can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    /// Round to nearest (`bits`, `group`).
    Rtn,
    /// BitNet b1.58 ternary.
    Ternary,
    /// SeedLM (`bits` 4: C = 8, P = 3; 3: C = 12, P = 4).
    Seedlm,
    /// Vector quantisation (`bits` per weight of index, vectors of `vq_dim`).
    Vq,
}

impl Choice for MethodKind {
    const WHAT: &'static str = "methods";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("rtn", MethodKind::Rtn),
            ("ternary", MethodKind::Ternary),
            ("seedlm", MethodKind::Seedlm),
            ("vq", MethodKind::Vq),
        ]
    }
}

choice_param!(MethodKind);

params! {
    /// Parameters of the `weight-compression` task.
    pub struct WeightParams {
        include reading: ReaderParams;
        /// the model compressed: reader, lm (prompt compression's byte-level GRU of the split), classifier (its llmlingua2 token classifier) or teacher (soft compression's encoder-decoder, default shape)
        pub subject: SubjectKind = SubjectKind::Reader;
        /// rtn, ternary, seedlm or vq (strategy fixed; the others walk their ladder)
        pub method: MethodKind = MethodKind::Rtn;
        /// rtn: bits per weight; seedlm: 4 (C 8, P 3) or 3 (C 12, P 4); vq: index bits per weight
        pub bits: u32 = 4;
        /// rtn: weights per scale and minimum (0: one per row)
        pub group: usize = 64;
        /// vq: weights per vector
        pub vq_dim: usize = 4;
        /// vq: index bits per weight of a residual codebook (0: none)
        pub vq_residual_bits: u32 = 0;
        /// vq: weigh each embedding row's error by its token's (byte's, hash bucket's) count in the training data (off: chosen on the validation articles, where it lost reader F1)
        pub vq_importance: bool = false;
        /// fixed, simple, mobile, advanced or auto
        pub strategy: Strategy = Strategy::Fixed;
        /// fallback: retention to keep on the validation articles (F1; original / compressed bits per character; keep-recall)
        pub threshold: f64 = 0.95;
        /// mobile (and auto): the file's byte budget
        pub target_bytes: Option<usize> = None;
        /// held-out articles used to choose (the rest report)
        pub validation_articles: usize = 3;
        /// ternary, reader: epochs of quantisation-aware fine-tuning on the reader's training articles (0: post-training)
        pub qat_epochs: usize = 0;
        /// ternary: Adam learning rate of that fine-tuning
        pub qat_learning_rate: f64 = 0.001;
    }
}

impl WeightParams {
    /// Prompt compression's parameters for the same split (its scoring language model and
    /// token classifier are the lm and classifier subjects).
    pub fn scoring(&self) -> crate::task::kinds::prompt_compression::PromptParams {
        crate::task::kinds::prompt_compression::PromptParams {
            reading: self.reading.clone(),
            ..Default::default()
        }
    }

    /// Soft compression's parameters for the same split (its default teacher is the teacher
    /// subject).
    pub fn soft(&self) -> crate::task::kinds::soft::SoftParams {
        crate::task::kinds::soft::SoftParams {
            split: self.reading.split.clone(),
            ..Default::default()
        }
    }

    /// The method the parameters name.
    pub fn method(&self) -> Result<Method, String> {
        method_of(
            self.method,
            self.bits,
            self.group,
            self.vq_dim,
            self.vq_residual_bits,
        )
    }
}

/// The method of a family at `bits` (with rtn's `group`, vq's vector length and residual
/// bits), checked.
pub fn method_of(
    kind: MethodKind,
    bits: u32,
    group: usize,
    vq_dim: usize,
    vq_residual_bits: u32,
) -> Result<Method, String> {
    let method = match kind {
        MethodKind::Rtn => Method::Rtn { bits, group },
        MethodKind::Ternary => Method::Ternary,
        MethodKind::Seedlm => match bits {
            4 => Method::SeedLm {
                block: 8,
                coefficients: 3,
            },
            3 => Method::SeedLm {
                block: 12,
                coefficients: 4,
            },
            b => return Err(format!("seedlm has 4 or 3 bits per weight, not {b}")),
        },
        MethodKind::Vq => {
            let entries = |bits: u32| -> Result<usize, String> {
                let total = bits as usize * vq_dim;
                if total > 16 {
                    return Err(format!(
                        "{bits} bits × vq_dim {vq_dim} is a codebook of 2^{total} entries (at most 2^16)"
                    ));
                }
                Ok(if bits == 0 { 0 } else { 1 << total })
            };
            Method::Vq {
                dim: vq_dim,
                entries: entries(bits)?,
                residual: entries(vq_residual_bits)?,
            }
        }
    };
    validate(method).map_err(|e| e.to_string())?;
    Ok(method)
}
