//! `runner analyze thresholds DIR`: where does question-answering quality collapse as contexts
//! are compressed harder, does that point (the threshold ratio r*) differ between algorithms,
//! and does it depend on the kind of question?
//!
//! Per condition (algorithm), and per condition × question type, the mean score at each ratio
//! is fitted by a four-parameter log-logistic curve and a segmented line on ln(ratio)
//! ([`curves`]); AIC chooses between them and a constant. r50 / r90 are the ratios at which the
//! log-logistic curve keeps 50% / 90% of its quality at ratio 1; the breakpoint is the
//! segmented fit's bend. r* is the onset of collapse of the chosen model: r90 for the curve,
//! the breakpoint for the segmented line. "No collapse detected" when the constant wins, when
//! the curve never loses 10%, or when the drop from the largest to the smallest ratio has a
//! bootstrap interval that contains zero. Intervals come from an item-level bootstrap
//! (questions resampled with replacement, B = 2,000 by default, every fit redone).
//!
//! Tests ([`hypothesis`]), Holm-corrected together: homogeneity of ln r* across algorithms
//! (Cochran's Q with bootstrap standard errors, I²), the algorithm × question-type interaction
//! (permutation of type labels over within-question-centred mean scores across the compressed
//! ratios), and, per algorithm and compressed ratio, a paired sign-flip permutation test of
//! per-question scores against `random` (or the first algorithm when there is no `random`).
//!
//! Output (written by `paper::thresholds`): `DIR/analysis/thresholds/report.json`,
//! `thresholds.png` / `.svg`, `report.md`, `thresholds.tex`.

pub mod condition;
pub mod curves;
pub mod family;
pub mod hypothesis;
pub mod items;
pub mod report;
pub mod study;
mod verdict;

pub use study::{analyze, analyze_study, Options, Report};
