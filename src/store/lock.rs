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
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder = if holder.is_empty() {
                    "another process".to_string()
                } else {
                    holder.to_string()
                };
                bail!(
                    "{} is in use by another launcher ({holder}).\n  = help: wait for it to finish, or stop it (Ctrl-C) and run `runner resume {}`",
                    dir.display(),
                    dir.display()
                );
            }
            Err(e) => return Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
        let host = crate::store::provenance::hostname();
        let info = format!(
            "pid {} on {host}, since {}",
            std::process::id(),
            crate::store::provenance::now_rfc3339()
        );
        // Who holds the lock is for messages only: a full disk must not stop `status`.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(info.as_bytes()));
        Ok(ExperimentLock { file, path })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ExperimentLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = FileExt::unlock(&self.file);
    }
}
