//! `runner compress-model ARTIFACT --method ... --bits ...`: compresses one trained model
//! artifact's weights (a reader, a language model trained on a split's training articles, a
//! token classifier or a soft-compression teacher) into a checksummed file, reads the file back, and prints its sizes (all-in
//! bits per weight, before and after the lossless stage), the times, and the quality it keeps
//! on the held-out articles of its split (F1; bits per character; keep-recall).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::artifacts::{ArtifactInfo, ArtifactStore};
use crate::error::ExitCode;
use crate::task::params::value::Choice;
use crate::task::weight_classifier::ClassifierSubject;
use crate::task::weight_compression::{method_of, MethodKind};
use crate::task::weight_lm::LmSubject;
use crate::task::weight_reader::ReaderSubject;
use crate::task::weight_subject::Subject;
use crate::task::weight_teacher::TeacherSubject;
use crate::weights::codec::Codec;

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

/// The model of the artifact in `dir`, with its held-out articles (none for validation).
fn open_subject(dir: &Path, device: &burn::tensor::Device) -> Result<Box<dyn Subject>> {
    let info_path = dir.join("artifact.json");
    let info: ArtifactInfo = crate::store::read_json(&info_path)
        .with_context(|| format!("{}: not an artifact directory", dir.display()))?;
    let store = ArtifactStore::new(dir.parent().unwrap_or(Path::new(".")));
    let config = || info.config.clone();
    let wrong = |e: serde_json::Error| anyhow::anyhow!("{}: config: {e}", info_path.display());
    Ok(match info.kind.as_str() {
        "reader" => {
            let config = serde_json::from_value(config()).map_err(wrong)?;
            Box::new(ReaderSubject::from_artifact(&store, &config, 0, device)?)
        }
        "lm" => {
            let config = serde_json::from_value(config()).map_err(wrong)?;
            Box::new(LmSubject::from_artifact(&store, &config, 0, device)?)
        }
        "token-classifier" => {
            let config = serde_json::from_value(config()).map_err(wrong)?;
            Box::new(ClassifierSubject::from_artifact(
                &store, &config, 0, None, device,
            )?)
        }
        "soft-teacher" => {
            let config = serde_json::from_value(config()).map_err(wrong)?;
            Box::new(TeacherSubject::from_artifact(&store, &config, 0, device)?)
        }
        kind => bail!(
            "{}: a {kind} artifact; compress-model compresses readers, language models, token classifiers and soft-compression teachers",
            dir.display()
        ),
    })
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
    let device = crate::models::device::cpu();
    let mut subject = open_subject(&args.artifact, &device)?;
    if args.vq_importance {
        subject.weigh_rows()?;
    }
    let codec = Codec::default();
    let compressed = subject.compress(method, args.seed, &codec)?;
    let output = args.output.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}.{}{}.rwc",
            subject.artifact(),
            args.method,
            args.bits
        ))
    });
    crate::weights::file::write(&output, &compressed.bytes)?;
    let bytes = std::fs::read(&output)?;
    let eval = subject.evaluate(&bytes, &output.display().to_string(), &codec, None)?;
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
