//! One trained model artifact compressed outside a spec (`runner compress-model`): its subject
//! chosen by the artifact's kind, its weights compressed into a checksummed file, the file
//! read back and measured on all held-out articles of its split.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::classifier::ClassifierSubject;
use super::lm::LmSubject;
use super::reader::ReaderSubject;
use super::subject::{Evaluation, Subject};
use super::teacher::TeacherSubject;
use crate::artifacts::{ArtifactInfo, ArtifactStore};
use crate::weights::codec::Codec;
use crate::weights::method::Method;
use crate::weights::model::Compressed;

/// The model of the artifact in `dir`, with its held-out articles (none for validation).
pub fn open_subject(dir: &Path, device: &burn::tensor::Device) -> Result<Box<dyn Subject>> {
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

/// A compressed model, written and read back.
pub struct OneModel {
    /// The file written.
    pub output: PathBuf,
    /// What compression made (sizes, accounting, time).
    pub compressed: Compressed,
    /// The file read back and measured.
    pub evaluation: Evaluation,
}

/// Compresses the artifact in `dir` with `method` (vq: rows weighed by their counts with
/// `vq_importance`) into `output` (default: `<artifact id>.<name>.rwc`), reads it back and
/// measures it on the CPU.
pub fn compress_one(
    dir: &Path,
    method: Method,
    name: &str,
    seed: u64,
    vq_importance: bool,
    output: Option<PathBuf>,
) -> Result<OneModel> {
    let device = crate::models::device::cpu();
    let mut subject = open_subject(dir, &device)?;
    if vq_importance {
        subject.weigh_rows()?;
    }
    let codec = Codec::default();
    let compressed = subject.compress(method, seed, &codec)?;
    let output =
        output.unwrap_or_else(|| PathBuf::from(format!("{}.{name}.rwc", subject.artifact())));
    crate::weights::file::write(&output, &compressed.bytes)?;
    let bytes = std::fs::read(&output)?;
    let evaluation = subject.evaluate(&bytes, &output.display().to_string(), &codec, None)?;
    Ok(OneModel {
        output,
        compressed,
        evaluation,
    })
}
