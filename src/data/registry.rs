//! The public data sets runner knows by name: where each lives in the data directory, where it
//! comes from, and its checksum. `runner data` lists and verifies them, and fetches missing
//! single-file sets from their official source (with `curl`), checking the SHA-256.

use std::path::Path;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// A known data set.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Name used in specs.
    pub name: &'static str,
    /// Path inside the data directory (a file or a directory).
    pub path: &'static str,
    /// What it is.
    pub description: &'static str,
    /// Official download address.
    pub url: &'static str,
    /// SHA-256 of each file, relative to the data directory.
    pub files: &'static [(&'static str, &'static str)],
}

/// Every known data set.
pub const ENTRIES: &[Entry] = &[
    Entry {
        name: "squad-dev",
        path: "squad/dev-v1.1.json",
        description: "SQuAD v1.1 development set (48 articles, 10,570 questions)",
        url: "https://rajpurkar.github.io/SQuAD-explorer/dataset/dev-v1.1.json",
        files: &[(
            "squad/dev-v1.1.json",
            "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9",
        )],
    },
    Entry {
        name: "xquad-en",
        path: "qa/xquad.en.json",
        description: "XQuAD English (240 paragraphs, 1,190 questions), SQuAD format",
        url: "https://github.com/google-deepmind/xquad/raw/master/xquad.en.json",
        files: &[(
            "qa/xquad.en.json",
            "e4c57d1c9143aaa1c5d265ba5987a65f4e69528d2a98f29d6e75019b10344f29",
        )],
    },
    Entry {
        name: "canterbury",
        path: "canterbury",
        description: "The Canterbury corpus, 11 files",
        url: "https://corpus.canterbury.ac.nz/resources/cantrbry.zip",
        files: &[
            (
                "canterbury/alice29.txt",
                "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
            ),
            (
                "canterbury/asyoulik.txt",
                "eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc",
            ),
            (
                "canterbury/cp.html",
                "e0cd21cef5b6c4069461e949be100080c3ce887de6f1dd8626c480528efaaf61",
            ),
            (
                "canterbury/fields.c",
                "85d73e354cc50cec76cb5a50537cf8dc035f8cbb8480f9e1cbe2f7d6c23393c7",
            ),
            (
                "canterbury/grammar.lsp",
                "1b0805dfc0ae706b35aac2bb4e15f02485efd24dda5dbd29de7b2f84d1a88c15",
            ),
            (
                "canterbury/kennedy.xls",
                "9af47239ca29dfe20e633f80bbbb9a4cc9783d0803d7b2b5626f42e4c3790420",
            ),
            (
                "canterbury/lcet10.txt",
                "5314ba1dbb03f471df88bec6cd120a938ef60d0fd3511c5c1dce61bf7463245f",
            ),
            (
                "canterbury/plrabn12.txt",
                "07e2e0b461af78c7c647cb53dab39de560198e16f799b4516eccf0fbd69f764c",
            ),
            (
                "canterbury/ptt5",
                "0ec3a75089bb52342813496b17e51377bc9eba3cb519a444d67025354841d650",
            ),
            (
                "canterbury/sum",
                "ee5733cd76ecc2f9d8ff156adc3c02a7a851051dcf43a2d56ff4ee4ff606bdb3",
            ),
            (
                "canterbury/xargs.1",
                "c58aeb5d2d1e12751d47e7412b45784405fc30a5671b03d480fa05776e183619",
            ),
        ],
    },
    Entry {
        name: "bible",
        path: "canterbury-large/bible.txt",
        description: "King James Bible, from the Canterbury large corpus",
        url: "https://corpus.canterbury.ac.nz/resources/large.zip",
        files: &[(
            "canterbury-large/bible.txt",
            "4e0a7e8dff7d9c82dbded57305c0ca3cdd3c4ca014db27121782fe9710f4723f",
        )],
    },
];

/// Where an entry is downloaded from: its official address, or the same file name under
/// `$RUNNER_DATA_MIRROR` (a local mirror or copy of the sets).
pub fn source_url(entry: &Entry) -> String {
    match std::env::var("RUNNER_DATA_MIRROR") {
        Ok(mirror) if !mirror.is_empty() => {
            let file = entry.url.rsplit('/').next().unwrap_or(entry.url);
            format!("{}/{file}", mirror.trim_end_matches('/'))
        }
        _ => entry.url.to_string(),
    }
}

/// How to put an entry in place by hand (for messages).
pub fn by_hand(entry: &Entry, data_dir: &Path) -> String {
    let target = data_dir.join(entry.path);
    if entry.url.ends_with(".zip") {
        let into = if entry.path.ends_with(".txt") {
            target.parent().unwrap_or(data_dir)
        } else {
            &target
        };
        format!(
            "download {} and unzip it into {}",
            entry.url,
            into.display()
        )
    } else {
        format!("download {} and save it as {}", entry.url, target.display())
    }
}

/// The entry called `name`.
pub fn find(name: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.name == name)
}

/// SHA-256 of a file, as hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Checks the files of an entry in `data_dir`; returns a line per file.
pub fn verify(entry: &Entry, data_dir: &Path) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for (rel, expected) in entry.files {
        let path = data_dir.join(rel);
        if !path.exists() {
            lines.push(format!("{rel}: missing"));
            continue;
        }
        let actual = sha256_file(&path)?;
        if actual == *expected {
            lines.push(format!("{rel}: ok"));
        } else {
            bail!(
                "{}: checksum mismatch (expected {expected}, found {actual})",
                path.display()
            );
        }
    }
    Ok(lines)
}

/// Downloads an entry into `data_dir` with `curl` (zip archives are unpacked with `unzip`),
/// then checks every file's SHA-256; a mismatch removes nothing already verified and fails.
pub fn fetch(entry: &Entry, data_dir: &Path) -> Result<()> {
    let target = data_dir.join(entry.path);
    let is_zip = entry.url.ends_with(".zip");
    let download = if is_zip {
        data_dir.join(format!(".{}.zip", entry.name))
    } else {
        target.clone()
    };
    if let Some(parent) = download.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let partial = download.with_extension("part");
    // A progress bar on a terminal; in logs, errors only.
    let progress: &[&str] = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        &["--progress-bar"]
    } else {
        &["--silent", "--show-error"]
    };
    let status = std::process::Command::new("curl")
        .args(["--fail", "--location", "--connect-timeout", "20"])
        .args(progress)
        .arg("--output")
        .arg(&partial)
        .arg(source_url(entry))
        .status()
        .context("cannot run curl (install it, or download the file by hand)")?;
    if !status.success() {
        let why = match status.code() {
            Some(6) => "the host could not be resolved: no network?".to_string(),
            Some(7) => "no connection to the host: no network or a firewall?".to_string(),
            Some(28) => "the download timed out".to_string(),
            Some(22) => "the server answered with an HTTP error".to_string(),
            _ => format!("curl: {status}"),
        };
        bail!("downloading {} failed ({why})", source_url(entry));
    }
    std::fs::rename(&partial, &download)?;
    if is_zip {
        let dir = if entry.path.ends_with(".txt") {
            target.parent().unwrap_or(data_dir).to_path_buf()
        } else {
            target.clone()
        };
        std::fs::create_dir_all(&dir)?;
        let status = std::process::Command::new("unzip")
            .arg("-o")
            .arg(&download)
            .arg("-d")
            .arg(&dir)
            .status()
            .context("cannot run unzip")?;
        if !status.success() {
            bail!("unpacking {} failed", download.display());
        }
        let _ = std::fs::remove_file(&download);
    }
    if let Err(e) = verify(entry, data_dir) {
        // A damaged download is never left where a later run would read it.
        for (rel, expected) in entry.files {
            let path = data_dir.join(rel);
            if path.is_file() && sha256_file(&path).is_ok_and(|actual| actual != *expected) {
                let _ = std::fs::remove_file(&path);
            }
        }
        return Err(e);
    }
    Ok(())
}
