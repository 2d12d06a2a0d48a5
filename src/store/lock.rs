//! The experiment lock: one launcher drives an experiment directory at a time.
//! An OS file lock (flock) is released by the kernel when its holder dies, so a lock left
//! by a killed launcher is taken over without any guesswork; the file records who holds it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use fs4::fs_std::FileExt;

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct ExperimentLock {
    file: File,
    path: PathBuf,
}

impl ExperimentLock {
    /// Takes the lock of `dir`, or fails naming the launcher that holds it.
    pub fn acquire(dir: &Path) -> Result<ExperimentLock> {
        let path = dir.join(".lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match FileExt::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => {
                let holder = holder(&mut file);
                bail!(
                    "{} is in use by another launcher ({holder}).\n  = help: wait for it to finish, or stop it (Ctrl-C) and run `runner resume {}`",
                    dir.display(),
                    dir.display()
                );
            }
            Err(e) => return Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
        let host = crate::store::provenance::hostname();
        let command: Vec<String> = std::env::args().collect();
        let info = format!(
            "pid {} `{}` on {host}, since {}",
            std::process::id(),
            command.join(" "),
            crate::store::provenance::now_rfc3339()
        );
        // Who holds the lock is for messages only: a full disk must not stop `status`.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(info.as_bytes()));
        Ok(ExperimentLock { file, path })
    }

    /// Whether another process holds the lock of `dir` now (nothing is written: a full disk
    /// does not change the answer).
    pub fn held_elsewhere(dir: &Path) -> bool {
        let Ok(file) = OpenOptions::new().read(true).open(dir.join(".lock")) else {
            return false;
        };
        match FileExt::try_lock_shared(&file) {
            Ok(true) => {
                let _ = FileExt::unlock(&file);
                false
            }
            Ok(false) => true,
            Err(_) => false,
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Who holds the lock of `file`: what the holder wrote there; while it has not written yet (it
/// writes right after taking the lock) or could not (a full disk), the process the kernel's
/// lock table names, with its command line.
fn holder(file: &mut File) -> String {
    for _ in 0..5 {
        let mut text = String::new();
        let _ = file
            .rewind()
            .and_then(|()| file.read_to_string(&mut text).map(|_| ()));
        if !text.trim().is_empty() {
            return text.trim().to_string();
        }
        std::thread::sleep(std::time::Duration::from_millis(40));
    }
    match holder_pid(file) {
        Some(pid) => {
            let command = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .trim()
                        .to_string()
                })
                .unwrap_or_default();
            format!("pid {pid} `{command}`")
        }
        None => "another process, whose pid the kernel's lock table does not show".to_string(),
    }
}

/// The pid holding an flock on `file`, from Linux's /proc/locks (matched by inode).
fn holder_pid(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let ino = file.metadata().ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // "1: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> <start> <end>"
        let (pid, id) = (fields.get(4)?, fields.get(5)?);
        let inode = id.rsplit(':').next()?.parse::<u64>().ok()?;
        (fields.get(1) == Some(&"FLOCK") && inode == ino).then(|| pid.parse().ok())?
    })
}

impl Drop for ExperimentLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = FileExt::unlock(&self.file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_holder_even_before_it_wrote_itself_down() {
        let dir = tempfile::tempdir().unwrap();
        // A holder that has taken the lock and not written anything yet.
        let raw = File::create(dir.path().join(".lock")).unwrap();
        FileExt::try_lock_exclusive(&raw).unwrap();
        let e = ExperimentLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        drop(raw);
        // A launcher that holds it has written its pid and command.
        let held = ExperimentLock::acquire(dir.path()).unwrap();
        let e = ExperimentLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {} `", std::process::id())), "{e}");
        drop(held);
        assert!(ExperimentLock::acquire(dir.path()).is_ok());
    }
}
