//! What an artifact holds, by content: the SHA-256 of each of its files and one content hash
//! over them. Two builds of one artifact id that differ in content have different content
//! hashes, so runs that used them are told apart. Training records (`curve.json`,
//! `history.json`, `curves.jsonl`) hold timings (seconds, throughput) that differ between
//! builds by nature: they are listed with their digests but left out of the content hash; their
//! other numbers follow from the weights, which it covers.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Files that record a training (with its timings): outside the content hash.
pub const RECORDS: [&str; 3] = ["curve.json", "history.json", "curves.jsonl"];

/// One file of an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// The digests of an artifact's files and its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// SHA-256 over the names and digests of the files outside [`RECORDS`].
    pub sha256: String,
    /// Every file (relative path with `/`), records included.
    pub files: BTreeMap<String, FileDigest>,
}

/// Digests the files under `dir` (artifact.json, the build's checkpoint and lock files aside).
pub fn digest(dir: &Path) -> Result<Content> {
    let mut files = BTreeMap::new();
    collect(dir, "", &mut files)?;
    let mut hasher = Sha256::new();
    for (name, d) in &files {
        if !RECORDS.contains(&name.as_str()) {
            hasher.update(format!("{name}\0{}\0{}\n", d.bytes, d.sha256).as_bytes());
        }
    }
    Ok(Content {
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        files,
    })
}

/// The files of `dir` whose digest is not the one `recorded` lists (changed, added or
/// missing), in order: empty when the artifact is as it was built.
pub fn changed_files(dir: &Path, recorded: &Content) -> Result<Vec<String>> {
    let now = digest(dir)?;
    let mut names: Vec<&String> = now.files.keys().chain(recorded.files.keys()).collect();
    names.sort();
    names.dedup();
    Ok(names
        .into_iter()
        .filter(|n| now.files.get(*n) != recorded.files.get(*n))
        .cloned()
        .collect())
}

fn collect(dir: &Path, prefix: &str, files: &mut BTreeMap<String, FileDigest>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("{prefix}{name}");
        let path = entry.path();
        if rel == "artifact.json" || name.starts_with("checkpoint") {
            continue;
        }
        if path.is_dir() {
            collect(&path, &format!("{rel}/"), files)?;
        } else {
            let digest = FileDigest {
                bytes: entry.metadata()?.len(),
                sha256: crate::data::registry::sha256_file(&path)?,
            };
            files.insert(rel, digest);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_hash_follows_the_files_but_not_the_records() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("model.bpk"), b"weights").unwrap();
        std::fs::write(dir.path().join("history.json"), b"[{\"seconds\": 1.0}]").unwrap();
        std::fs::write(dir.path().join("artifact.json"), b"{}").unwrap();
        let a = digest(dir.path()).unwrap();
        assert_eq!(a.files.len(), 2, "artifact.json aside");
        std::fs::write(dir.path().join("history.json"), b"[{\"seconds\": 2.0}]").unwrap();
        let b = digest(dir.path()).unwrap();
        assert_eq!(a.sha256, b.sha256, "timings in records do not count");
        assert_ne!(a.files, b.files);
        assert!(changed_files(dir.path(), &b).unwrap().is_empty());
        std::fs::write(dir.path().join("model.bpk"), b"weightz").unwrap();
        assert_ne!(digest(dir.path()).unwrap().sha256, a.sha256);
        assert_eq!(changed_files(dir.path(), &b).unwrap(), ["model.bpk"]);
    }
}
