//! `runner analyze thresholds DIR`: the threshold analysis of a prompt-compression study
//! (see `analysis::thresholds`), and `runner analyze reference FILE`, the deterministic
//! statistics on given inputs as JSON, which `scripts/check_thresholds.py` compares with
//! scipy / statsmodels.

use std::path::PathBuf;

use crate::error::ExitCode;
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::analysis::thresholds::{self, curves, hypothesis, Options};

/// `runner analyze ...`.
#[derive(clap::Subcommand, Debug)]
pub enum AnalyzeCommand {
    /// Threshold ratio r* per algorithm (curve fits, bootstrap, tests, verdict) of a
    /// prompt-compression experiment; writes DIR/analysis/thresholds/.
    Thresholds(ThresholdArgs),
    /// The deterministic statistics (fits, Cochran's Q, Holm) on the inputs of a JSON file,
    /// printed as JSON: the reference check of scripts/check_thresholds.py.
    #[command(hide = true)]
    Reference {
        /// Input file: {"curves": [{"ratios", "y"}], "cochran": {"estimates", "se"}, "holm": [p]}.
        file: PathBuf,
    },
}

/// Arguments of `runner analyze thresholds`.
#[derive(clap::Args, Debug)]
pub struct ThresholdArgs {
    /// The experiment directory (e.g. runs/phase3).
    pub dir: PathBuf,
    /// Score: f1 or em.
    #[arg(long, default_value = "f1")]
    pub metric: String,
    /// Bootstrap resamples of questions.
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
    /// Permutations of the permutation tests.
    #[arg(long, default_value_t = 10_000)]
    pub permutations: usize,
    /// Significance level (after Holm's correction).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Seed of the resampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print report.json instead of the verdict.
    #[arg(long)]
    pub json: bool,
}

#[derive(Deserialize)]
struct ReferenceInput {
    #[serde(default)]
    curves: Vec<CurveInput>,
    cochran: Option<CochranInput>,
    #[serde(default)]
    holm: Vec<f64>,
}

#[derive(Deserialize)]
struct CurveInput {
    ratios: Vec<f64>,
    y: Vec<f64>,
}

#[derive(Deserialize)]
struct CochranInput {
    estimates: Vec<f64>,
    se: Vec<f64>,
}

/// `runner analyze`.
pub fn run(cmd: AnalyzeCommand) -> Result<ExitCode> {
    match cmd {
        AnalyzeCommand::Thresholds(args) => {
            if !(args.alpha > 0.0 && args.alpha < 1.0) {
                anyhow::bail!("--alpha {}: use a level in (0, 1)", args.alpha);
            }
            let opts = Options {
                metric: args.metric,
                bootstrap: args.bootstrap.max(1),
                permutations: args.permutations.max(1),
                alpha: args.alpha,
                seed: args.seed,
            };
            let report = thresholds::analyze(&args.dir, &opts)?;
            let out = args.dir.join("analysis").join("thresholds");
            crate::paper::thresholds::write(&report, &out)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                for line in &report.verdict {
                    println!("{line}");
                }
                println!(
                    "\nwritten: {}/{{report.json, report.md, thresholds.png, thresholds.svg}}",
                    out.display()
                );
            }
            Ok(ExitCode::Complete)
        }
        AnalyzeCommand::Reference { file } => {
            let text =
                std::fs::read_to_string(&file).with_context(|| file.display().to_string())?;
            let input: ReferenceInput = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a reference input", file.display()))?;
            println!("{}", serde_json::to_string_pretty(&reference(&input))?);
            Ok(ExitCode::Complete)
        }
    }
}

fn reference(input: &ReferenceInput) -> Value {
    let curves: Vec<Value> = input
        .curves
        .iter()
        .map(|c| {
            let ll = curves::fit_log_logistic(&c.ratios, &c.y);
            let seg = curves::fit_segmented(&c.ratios, &c.y);
            let n = c.ratios.len();
            json!({
                "log_logistic": ll.map(|f| json!({
                    "b": f.b, "c": f.c, "d": f.d, "e": f.e, "rss": f.rss,
                    "r50": f.retention_ratio(0.5), "r90": f.retention_ratio(0.9),
                    "aic": curves::aic(f.rss, n, 5),
                })),
                "segmented": seg.map(|f| json!({
                    "a": f.a, "slope_below": f.slope_below, "slope_above": f.slope_above,
                    "breakpoint": f.breakpoint, "rss": f.rss, "aic": curves::aic(f.rss, n, 5),
                })),
                "constant_aic": curves::aic(curves::constant_rss(&c.y), n, 2),
            })
        })
        .collect();
    let cochran = input
        .cochran
        .as_ref()
        .and_then(|c| hypothesis::cochran_q(&c.estimates, &c.se));
    json!({
        "curves": curves,
        "cochran": cochran,
        "holm": hypothesis::holm(&input.holm),
    })
}
