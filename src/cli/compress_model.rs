//! `runner compress-model ARTIFACT --method ... --bits ...`: compresses one trained model
//! artifact's weights (a reader, a language model trained on a split's training articles, a
//! token classifier or a soft-compression teacher) into a checksummed file, reads the file back, and prints its sizes (all-in
//! bits per weight, before and after the lossless stage), the times, and the quality it keeps
//! on the held-out articles of its split (F1; bits per character; keep-recall).

use std::path::PathBuf;

use anyhow::Result;

use crate::error::ExitCode;
use crate::task::kinds::weights::one_model::compress_one;
use crate::task::kinds::weights::{method_of, MethodKind};
use crate::task::params::value::Choice;

/// Arguments of `runner compress-model`.
#[derive(clap::Args, Debug)]
pub struct CompressModelArgs {
    /// A reader, lm, token-classifier or soft-teacher artifact directory (`<store>/reader-<hash>`; `runner
    /// artifacts` lists them).
    pub artifact: PathBuf,
    /// rtn, ternary, seedlm or vq.
    #[arg(long, value_parser = ["rtn", "ternary", "seedlm", "vq"], default_value = "rtn")]
    pub method: String,
    /// rtn: bits per weight; seedlm: 4 or 3; vq: index bits per weight.
    #[arg(long, default_value_t = 4)]
    pub bits: u32,
    /// rtn: weights per scale and minimum (0: one per row).
    #[arg(long, default_value_t = 64)]
    pub group: usize,
    /// vq: weights per vector.
    #[arg(long, default_value_t = 4)]
    pub vq_dim: usize,
    /// vq: index bits per weight of a residual codebook (0: none).
    #[arg(long, default_value_t = 0)]
    pub vq_residual_bits: u32,
    /// Where to write the compressed model (default: `<artifact id>.<method><bits>.rwc`).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// vq: weigh each embedding row's error by its token's count in the training data.
    #[arg(long)]
    pub vq_importance: bool,
    /// Seed of the methods' random choices (k-means).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Runs `runner compress-model`.
pub fn compress_model(args: CompressModelArgs) -> Result<ExitCode> {
    let kind = MethodKind::choices()
        .iter()
        .find(|(name, _)| *name == args.method)
        .map(|&(_, kind)| kind)
        .ok_or_else(|| anyhow::anyhow!("--method: unknown method {}", args.method))?;
    let method = method_of(
        kind,
        args.bits,
        args.group,
        args.vq_dim,
        args.vq_residual_bits,
    )
    .map_err(|e| anyhow::anyhow!("--bits: {e}"))?;
    let name = format!("{}{}", args.method, args.bits);
    let one = compress_one(
        &args.artifact,
        method,
        &name,
        args.seed,
        args.vq_importance,
        args.output,
    )?;
    let (output, compressed, eval) = (&one.output, &one.compressed, &one.evaluation);
    let kept = eval.quality.retention(&eval.original);
    let ci = eval
        .quality
        .retention_interval(&eval.original, 2000, args.seed);
    let a = &compressed.accounting;
    println!(
        "{} ({method:?}), {} parameters",
        output.display(),
        a.parameters
    );
    println!(
        "  file {} bytes ({:.2} bits/weight all-in; {} bytes, {:.2} before the lossless stage, which saved {:.1} %)",
        a.file_bytes, a.bpw_file(), a.packed_file_bytes, a.bpw_all(), 100.0 * a.lossless_saving()
    );
    println!(
        "  compressed tensors {:.2} bits/weight; {:.1}x smaller than fp32; compressed in {:.2} s, read back in {:.2} s",
        a.bpw_quantised(), a.ratio(), compressed.seconds, eval.decompress_seconds
    );
    println!(
        "  held-out articles: {}; retention {kept:.4} [{:.4}, {:.4}]",
        eval.summary, ci.0, ci.1
    );
    Ok(ExitCode::Complete)
}
