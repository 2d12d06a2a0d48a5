//! Reference compressors run as external programs (bzip2 -9, zpaq -m5, 7-Zip's PPMd), for
//! benchmarks that compare with them: each compresses a file, is timed, decompresses it again
//! and the bytes are compared. A program that is not installed is reported missing, not an
//! error.

use std::path::{Path, PathBuf};

use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

/// One external compressor: how to pack `in` into `out` and unpack it into a directory.
#[derive(Debug, Clone)]
pub struct ExternalTool {
    /// Label, e.g. "zpaq-m5" (as the linked codecs: "xz-9e").
    pub label: &'static str,
    /// Candidate program names (the first on PATH is used).
    programs: &'static [&'static str],
    /// Arguments to compress: `{in}` and `{out}` are replaced by the paths.
    pack: &'static [&'static str],
    /// Arguments to decompress `{out}` into the directory `{dir}` (the file keeps its name),
    /// or, with `stdout`, onto standard output.
    unpack: &'static [&'static str],
    /// Decompression writes to standard output.
    stdout: bool,
    /// The compressed file's suffix.
    suffix: &'static str,
}

/// What one tool did with one input.
#[derive(Debug, Clone)]
pub enum ToolResult {
    /// Not installed (none of its program names is on PATH).
    Missing,
    /// Compressed size in bytes and both directions' seconds; `verified` when the bytes
    /// came back.
    Measured {
        /// The program that ran.
        program: String,
        /// Compressed bytes (the whole file or archive the tool wrote).
        bytes: usize,
        /// Seconds to compress.
        compress_s: f64,
        /// Seconds to decompress.
        decompress_s: f64,
        /// The decompressed bytes equal the input.
        verified: bool,
    },
}

/// The context-mixing and block-sorting anchors: bzip2 -9, zpaq -m5 and 7-Zip's PPMd at -mx=9.
pub fn anchors() -> Vec<ExternalTool> {
    vec![
        ExternalTool {
            label: "bzip2-9",
            programs: &["bzip2"],
            pack: &["-9", "-k", "-c", "{in}"],
            unpack: &["-d", "-c", "{out}"],
            stdout: true,
            suffix: ".bz2",
        },
        ExternalTool {
            label: "zpaq-m5",
            programs: &["zpaq"],
            pack: &["a", "{out}", "{in}", "-m5"],
            unpack: &["x", "{out}", "-to", "{dir}"],
            stdout: false,
            suffix: ".zpaq",
        },
        ExternalTool {
            label: "7z-ppmd-mx9",
            programs: &["7zz", "7z", "7za"],
            pack: &["a", "-t7z", "-m0=PPMd", "-mx=9", "{out}", "{in}"],
            unpack: &["x", "-y", "-o{dir}", "{out}"],
            stdout: false,
            suffix: ".7z",
        },
    ]
}

/// The first of `names` found on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// The arguments with the file names filled in (relative to the working directory, so that
/// archivers store and extract the bare name).
fn fill(args: &[&str], input: &str, out: &str) -> Vec<String> {
    args.iter()
        .map(|a| {
            a.replace("{in}", input)
                .replace("{out}", out)
                .replace("{dir}", UNPACKED)
        })
        .collect()
}

/// The directory archives are extracted into.
const UNPACKED: &str = "unpacked";

fn run(program: &Path, args: &[String], cwd: &Path) -> Result<Vec<u8>> {
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .output()
        .with_context(|| format!("cannot run {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} {} failed: {}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

impl ExternalTool {
    /// Compresses `data` (written as a file named `name`), decompresses and compares.
    pub fn measure(&self, name: &str, data: &[u8]) -> Result<ToolResult> {
        let Some(program) = on_path(self.programs) else {
            return Ok(ToolResult::Missing);
        };
        let work = tempfile::tempdir()?;
        let out_name = format!("packed{}", self.suffix);
        let (input, out) = (work.path().join(name), work.path().join(&out_name));
        std::fs::write(&input, data)?;
        std::fs::create_dir(work.path().join(UNPACKED))?;
        let start = Instant::now();
        let packed = run(&program, &fill(self.pack, name, &out_name), work.path())?;
        if self.stdout {
            std::fs::write(&out, packed)?;
        }
        let compress_s = start.elapsed().as_secs_f64();
        let bytes = std::fs::metadata(&out)?.len() as usize;
        let start = Instant::now();
        let unpacked = run(&program, &fill(self.unpack, name, &out_name), work.path())?;
        let back = if self.stdout {
            unpacked
        } else {
            std::fs::read(work.path().join(UNPACKED).join(name))
                .with_context(|| format!("{} did not unpack {name}", self.label))?
        };
        Ok(ToolResult::Measured {
            program: program.display().to_string(),
            bytes,
            compress_s,
            decompress_s: start.elapsed().as_secs_f64(),
            verified: back == data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_anchor_round_trips_or_is_missing() {
        let data = b"abracadabra ".repeat(500);
        for tool in anchors() {
            match tool.measure("x.txt", &data).unwrap() {
                ToolResult::Missing => {}
                ToolResult::Measured {
                    bytes, verified, ..
                } => {
                    assert!(verified, "{}", tool.label);
                    assert!(bytes < data.len() / 4, "{}: {bytes}", tool.label);
                }
            }
        }
        let absent = ExternalTool {
            programs: &["no-such-compressor-here"],
            ..anchors()[0].clone()
        };
        assert!(matches!(
            absent.measure("x", b"x").unwrap(),
            ToolResult::Missing
        ));
    }
}
