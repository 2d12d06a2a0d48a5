//! The content-addressed artifact store.
//! An artifact's id is its kind plus a hash of its own config, so every run, resumed grid and
//! experiment that needs the same artifact shares one copy. It is built once, under a file lock
//! (a second builder waits and then reuses it), in a temporary directory that is renamed into
//! place only when complete.
//!
//! ```text
//! <store>/<kind>-<hash>/artifact.json   kind, config, build time, runner version
//! <store>/<kind>-<hash>/...             the artifact's files
//! <store>/<kind>-<hash>.lock
//! <store>/.build-<kind>-<hash>/       a build in progress (kept to resume after a failure)
//! ```
//! The store is `$RUNNER_ARTIFACTS`, or `runs/artifacts` under the working directory.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::content;
use crate::models::device::Backend;

/// Finishes a trained artifact's directory: the weights (`model.bpk`), the training record as
/// JSON (`record_file`) and again one line per point in `curves.jsonl` (for `runner report`),
/// then drops the build's checkpoint.
pub fn write_trained<M: burn::module::Module, P: Serialize>(
    dir: &Path,
    model: M,
    record_file: &str,
    record: &[P],
) -> Result<()> {
    let weights = dir.join("model.bpk");
    model
        .save_file(&weights)
        .map_err(|e| anyhow::anyhow!("saving {}: {e}", weights.display()))?;
    crate::store::atomic::write_json(&dir.join(record_file), &record)?;
    let mut lines = String::new();
    for point in record {
        lines.push_str(&serde_json::to_string(point)?);
        lines.push('\n');
    }
    crate::store::atomic::write_atomic(&dir.join("curves.jsonl"), lines.as_bytes())?;
    let _ = std::fs::remove_dir_all(dir.join("checkpoint"));
    Ok(())
}

/// The GPU backend an artifact of `kind` built on `backend` is keyed by (none on the CPU, and
/// none for tokenizers, which no backend computes).
fn trained_on(kind: &str, backend: Backend) -> Option<&'static str> {
    backend.gpu_name().filter(|_| kind != "tokenizer")
}

/// A built artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    /// `<kind>-<hash>`.
    pub id: String,
    /// Its directory.
    pub dir: PathBuf,
    /// Whether this call built it (false: it was already there).
    pub built_now: bool,
}

impl Artifact {
    /// `error` (reading one of this artifact's files) with how to mend it: the directory is
    /// removed and built again.
    pub fn damaged(&self, error: anyhow::Error) -> anyhow::Error {
        anyhow::anyhow!(
            "{error:#}\n  The artifact {} is damaged: remove that directory and the next run \
             that needs it builds it again.",
            self.dir.display()
        )
    }
}

/// Contents of artifact.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArtifactInfo {
    /// Kind (tokenizer, reader, ...).
    pub kind: String,
    /// The config it was built from.
    pub config: Value,
    /// Seconds the build took.
    pub build_seconds: f64,
    /// When it was built.
    pub created_at: String,
    /// runner version that built it.
    pub runner_version: String,
    /// Its files' digests and content hash (absent in artifacts built before runner recorded
    /// them: [`ArtifactStore::content_hash`] then digests the files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<content::Content>,
    /// The burn backend that built it, when not the CPU's `flex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
}

/// A directory of artifacts.
#[derive(Debug, Clone)]
pub struct ArtifactStore {
    root: PathBuf,
}

impl ArtifactStore {
    /// The store at `root`.
    pub fn new(root: impl Into<PathBuf>) -> ArtifactStore {
        ArtifactStore { root: root.into() }
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `$RUNNER_ARTIFACTS`, else `runs/artifacts` in the current directory.
    pub fn default_location() -> ArtifactStore {
        Self::for_workdir(Path::new("."))
    }

    /// `$RUNNER_ARTIFACTS`, else `runs/artifacts` under `workdir` (where runs execute).
    pub fn for_workdir(workdir: &Path) -> ArtifactStore {
        match std::env::var_os("RUNNER_ARTIFACTS") {
            Some(dir) => ArtifactStore::new(dir),
            None => ArtifactStore::new(workdir.join("runs/artifacts")),
        }
    }

    /// Whether the artifact is complete in the store.
    pub fn contains(&self, id: &str) -> bool {
        self.root.join(id).join("artifact.json").is_file()
    }

    /// The id of an artifact: kind and the first 16 hex digits of the config's hash.
    /// Trained artifacts built on a GPU backend carry its name (`lm-<hash>-wgpu`): other
    /// kernels train other weights, and one id must name one content.
    pub fn id(kind: &str, config: &Value) -> String {
        Self::id_on(kind, config, crate::models::device::artifact_backend())
    }

    /// The id of an artifact built on `backend`.
    pub fn id_on(kind: &str, config: &Value, backend: Backend) -> String {
        let id = format!("{kind}-{}", crate::grid::identity::run_id(kind, config));
        match trained_on(kind, backend) {
            None => id,
            Some(name) => format!("{id}-{name}"),
        }
    }

    /// The artifact, built by `build` (which fills the directory it is given) if it is not
    /// in the store yet. Concurrent callers for the same artifact build it once.
    pub fn get_or_build(
        &self,
        kind: &str,
        config: &Value,
        build: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<Artifact> {
        std::fs::create_dir_all(&self.root)
            .with_context(|| format!("cannot create {}", self.root.display()))?;
        let id = Self::id(kind, config);
        let dir = self.root.join(&id);
        if dir.join("artifact.json").is_file() {
            return Ok(Artifact {
                id,
                dir,
                built_now: false,
            });
        }
        let lock_path = self.root.join(format!("{id}.lock"));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        FileExt::lock_exclusive(&lock)
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        if dir.join("artifact.json").is_file() {
            return Ok(Artifact {
                id,
                dir,
                built_now: false,
            });
        }
        // The build directory is stable and kept after a failure or a kill, so a long build
        // (a trained model) can resume from the checkpoints it left there; the lock ensures a
        // single builder.
        let tmp = self.root.join(format!(".build-{id}"));
        std::fs::create_dir_all(&tmp)?;
        let start = Instant::now();
        if let Err(e) = build(&tmp) {
            return Err(e.context(format!(
                "building artifact {id} (partial work kept in {})",
                tmp.display()
            )));
        }
        let info = ArtifactInfo {
            kind: kind.to_string(),
            config: config.clone(),
            build_seconds: start.elapsed().as_secs_f64(),
            created_at: crate::store::provenance::now_rfc3339(),
            runner_version: crate::store::provenance::RUNNER_VERSION.to_string(),
            content: Some(content::digest(&tmp)?),
            backend: trained_on(kind, crate::models::device::artifact_backend()).map(String::from),
        };
        crate::store::atomic::write_json(&tmp.join("artifact.json"), &info)?;
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir)
            .with_context(|| format!("cannot move {} into place", dir.display()))?;
        Ok(Artifact {
            id,
            dir,
            built_now: true,
        })
    }

    /// The content hash of the complete artifact `id` (see [`content`]): as its artifact.json
    /// records it, or from its files when that predates content hashes.
    pub fn content_hash(&self, id: &str) -> Result<String> {
        let dir = self.root.join(id);
        let info: ArtifactInfo = crate::store::read_json(&dir.join("artifact.json"))?;
        match info.content {
            Some(c) => Ok(c.sha256),
            None => Ok(content::digest(&dir)
                .with_context(|| format!("cannot read the files of {}", dir.display()))?
                .sha256),
        }
    }

    /// Every artifact directory of the store (builds in progress left out), with its
    /// artifact.json (or why it cannot be read: damaged, or missing).
    pub fn list(&self) -> Vec<(String, Result<ArtifactInfo>)> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Result<ArtifactInfo>)> = entries
            .flatten()
            .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| {
                let info = crate::store::read_json(&e.path().join("artifact.json"));
                (e.file_name().to_string_lossy().into_owned(), info)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn gpu_built_artifacts_have_their_own_ids() {
        let config = serde_json::json!({"vocab": 100});
        let cpu = ArtifactStore::id_on("lm", &config, Backend::Flex);
        let gpu = ArtifactStore::id_on("lm", &config, Backend::Wgpu);
        assert_eq!(gpu, format!("{cpu}-wgpu"));
        assert!(!cpu.ends_with("flex"));
        let tokenizer = ArtifactStore::id_on("tokenizer", &config, Backend::Wgpu);
        assert_eq!(
            tokenizer,
            ArtifactStore::id_on("tokenizer", &config, Backend::Flex)
        );
    }

    #[test]
    fn concurrent_requests_build_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::new(dir.path());
        let builds = Arc::new(AtomicUsize::new(0));
        let config = serde_json::json!({"vocab": 100});
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (store, builds, config) = (store.clone(), builds.clone(), config.clone());
                std::thread::spawn(move || {
                    store
                        .get_or_build("demo", &config, |d| {
                            builds.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(100));
                            std::fs::write(d.join("payload"), b"x")?;
                            Ok(())
                        })
                        .unwrap()
                })
            })
            .collect();
        let results: Vec<Artifact> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert_eq!(results.iter().filter(|a| a.built_now).count(), 1);
        assert!(results.iter().all(|a| a.dir.join("payload").is_file()));
        assert_eq!(store.list().len(), 1);
    }

    #[test]
    fn a_failed_build_is_not_an_artifact_and_a_retry_resumes_its_work() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::new(dir.path());
        let config = serde_json::json!({});
        let err = store
            .get_or_build("demo", &config, |d| {
                std::fs::write(d.join("checkpoint"), b"epoch 1")?;
                anyhow::bail!("killed")
            })
            .unwrap_err();
        assert!(format!("{err:#}").contains("killed"));
        assert!(store.list().is_empty());
        let artifact = store
            .get_or_build("demo", &config, |d| {
                assert_eq!(std::fs::read(d.join("checkpoint"))?, b"epoch 1", "resumes");
                Ok(())
            })
            .unwrap();
        assert!(artifact.built_now && artifact.dir.join("checkpoint").is_file());
        assert_eq!(store.list().len(), 1);
    }
}
