//! A pretrained model ready to use: its shape, weights on the run's device, tokenizer, where it
//! came from and the SHA-256 of its weights file (its identity, recorded by every run that
//! uses it).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::tensor::Device;
use sha2::{Digest, Sha256};

use super::config::LlamaConfig;
use super::load;
use super::model::Llama;
use super::vocab::Vocab;
use crate::models::gguf::Gguf;

/// A loaded checkpoint.
#[derive(Debug)]
pub struct Pretrained {
    /// Its shape.
    pub config: LlamaConfig,
    /// The model.
    pub model: Llama,
    /// Its tokenizer.
    pub vocab: Vocab,
    /// The GGUF file or the checkpoint directory.
    pub path: PathBuf,
    /// `gguf` or `safetensors`.
    pub format: &'static str,
    /// SHA-256 of the weights file (hex).
    pub sha256: String,
    /// Size of the weights file in bytes.
    pub file_bytes: u64,
}

/// SHA-256 (hex) of a file, read in pieces.
pub fn sha256_of(path: &Path) -> Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

impl Pretrained {
    /// The model a reference names (a known name, a .gguf file or a checkpoint directory),
    /// loaded on `device`; a known model that is missing is fetched first unless `offline`.
    pub fn named(reference: &str, device: &Device, offline: bool) -> Result<Pretrained> {
        let path = crate::data::models::ensure(reference, offline)?;
        Pretrained::load(&path, device)
    }

    /// Loads a GGUF file, or a Hugging Face checkpoint directory, onto `device`.
    pub fn load(path: &Path, device: &Device) -> Result<Pretrained> {
        if path.is_dir() {
            let weights = path.join("model.safetensors");
            let (config, model) = load::from_hf_dir(path, device)?;
            return Ok(Pretrained {
                config,
                model,
                vocab: Vocab::from_hf_dir(path)?,
                path: path.to_path_buf(),
                format: "safetensors",
                sha256: sha256_of(&weights)?,
                file_bytes: std::fs::metadata(&weights)?.len(),
            });
        }
        let gguf = Gguf::open(path)?;
        LlamaConfig::from_gguf(&gguf).with_context(|| path.display().to_string())?;
        let vocab = Vocab::from_gguf(&gguf)?;
        let (config, model) = load::from_gguf(&gguf, device)?;
        Ok(Pretrained {
            config,
            model,
            vocab,
            path: path.to_path_buf(),
            format: "gguf",
            sha256: sha256_of(path)?,
            file_bytes: gguf.file_len,
        })
    }

    /// The token ids that end generation: the end-of-sequence token and ChatML's `<|im_end|>`.
    pub fn stop_tokens(&self) -> Vec<u32> {
        self.vocab
            .eos
            .into_iter()
            .chain(self.vocab.id(super::chat::IM_END))
            .collect()
    }
}
