//! A Llama model from its checkpoint: a GGUF file (llama.cpp's names: `token_embd`,
//! `blk.N.attn_q`, ...) or a Hugging Face directory (config.json and model.safetensors:
//! `model.embed_tokens`, `model.layers.N.self_attn.q_proj`, ...). Each tensor's shape is
//! checked against the shape the metadata declares before it is read; weights are dequantized
//! to f32 on the run's device.

use std::path::Path;

use anyhow::{bail, Context, Result};
use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

use super::config::LlamaConfig;
use super::model::{Block, Llama};
use super::rope::pair_rows;
use super::safetensors::SafeTensors;
use crate::models::gguf::Gguf;

/// Where a model's tensors come from: `read(name, rows, cols)` gives the row-major weights of
/// a [rows, cols] matrix (cols = 1 for vectors), or an error naming the tensor.
trait Source {
    fn read(&self, name: &str, rows: usize, cols: usize) -> Result<Vec<f32>>;
}

impl Source for Gguf {
    fn read(&self, name: &str, rows: usize, cols: usize) -> Result<Vec<f32>> {
        let t = self
            .tensor(name)
            .with_context(|| format!("{}: no tensor {name}", self.path.display()))?;
        let want: Vec<u64> = if cols == 1 {
            vec![rows as u64]
        } else {
            vec![cols as u64, rows as u64]
        };
        if t.dims != want {
            bail!(
                "{}: tensor {name} has dimensions {:?}, the metadata makes it {want:?}",
                self.path.display(),
                t.dims
            );
        }
        self.read_f32(t)
    }
}

impl Source for SafeTensors {
    fn read(&self, name: &str, rows: usize, cols: usize) -> Result<Vec<f32>> {
        let (shape, w) = self.read_f32(name)?;
        let want = if cols == 1 {
            vec![rows]
        } else {
            vec![rows, cols]
        };
        if shape != want {
            bail!(
                "{}: tensor {name} has shape {shape:?}, config.json makes it {want:?}",
                self.path.display()
            );
        }
        Ok(w)
    }
}

/// The names of a block's tensors in one naming scheme.
struct Names {
    embed: &'static str,
    output: &'static str,
    norm: &'static str,
    block: fn(usize, &str) -> String,
}

const GGUF_NAMES: Names = Names {
    embed: "token_embd.weight",
    output: "output.weight",
    norm: "output_norm.weight",
    block: |i, part| {
        let name = match part {
            "attn_norm" => "attn_norm",
            "q" => "attn_q",
            "k" => "attn_k",
            "v" => "attn_v",
            "o" => "attn_output",
            "ffn_norm" => "ffn_norm",
            "gate" => "ffn_gate",
            "up" => "ffn_up",
            _ => "ffn_down",
        };
        format!("blk.{i}.{name}.weight")
    },
};

const HF_NAMES: Names = Names {
    embed: "model.embed_tokens.weight",
    output: "lm_head.weight",
    norm: "model.norm.weight",
    block: |i, part| {
        let name = match part {
            "attn_norm" => "input_layernorm",
            "q" => "self_attn.q_proj",
            "k" => "self_attn.k_proj",
            "v" => "self_attn.v_proj",
            "o" => "self_attn.o_proj",
            "ffn_norm" => "post_attention_layernorm",
            "gate" => "mlp.gate_proj",
            "up" => "mlp.up_proj",
            _ => "mlp.down_proj",
        };
        format!("model.layers.{i}.{name}.weight")
    },
};

/// `w` [rows, cols] row-major, transposed to [cols, rows].
fn transpose(w: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; w.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = w[r * cols + c];
        }
    }
    out
}

struct Builder<'a> {
    source: &'a dyn Source,
    names: &'a Names,
    config: &'a LlamaConfig,
    device: &'a Device,
    /// Hugging Face query and key rows are reordered into rotary pairs.
    pair_qk: bool,
}

impl Builder<'_> {
    fn matrix(&self, data: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(data, shape), self.device)
    }

    /// A linear layer `out × inp` from a PyTorch-layout [out, in] weight.
    fn linear(&self, name: &str, out: usize, inp: usize, pair_heads: usize) -> Result<Linear> {
        let mut w = self.source.read(name, out, inp)?;
        if self.pair_qk && pair_heads > 0 {
            w = pair_rows(&w, pair_heads, inp);
        }
        Ok(Linear {
            weight: Param::from_tensor(self.matrix(transpose(&w, out, inp), [inp, out])),
            bias: None,
        })
    }

    fn vector(&self, name: &str, n: usize) -> Result<Param<Tensor<1>>> {
        let w = self.source.read(name, n, 1)?;
        Ok(Param::from_tensor(Tensor::from_data(
            TensorData::new(w, [n]),
            self.device,
        )))
    }

    fn block(&self, i: usize) -> Result<Block> {
        let c = self.config;
        let (d, hd, ff) = (c.hidden, c.head_dim, c.feed_forward);
        let name = |part| (self.names.block)(i, part);
        Ok(Block {
            attn_norm: self.vector(&name("attn_norm"), d)?,
            q: self.linear(&name("q"), c.heads * hd, d, c.heads)?,
            k: self.linear(&name("k"), c.kv_heads * hd, d, c.kv_heads)?,
            v: self.linear(&name("v"), c.kv_heads * hd, d, 0)?,
            o: self.linear(&name("o"), d, c.heads * hd, 0)?,
            ffn_norm: self.vector(&name("ffn_norm"), d)?,
            gate: self.linear(&name("gate"), ff, d, 0)?,
            up: self.linear(&name("up"), ff, d, 0)?,
            down: self.linear(&name("down"), d, ff, 0)?,
        })
    }

    fn build(&self) -> Result<Llama> {
        let c = self.config;
        let (v, d) = (c.vocab, c.hidden);
        let embed = self.source.read(self.names.embed, v, d)?;
        let output = match c.tied {
            true => transpose(&embed, v, d),
            false => transpose(&self.source.read(self.names.output, v, d)?, v, d),
        };
        let blocks = (0..c.blocks)
            .map(|i| self.block(i))
            .collect::<Result<Vec<_>>>()?;
        let norm = self.source.read(self.names.norm, d, 1)?;
        Ok(Llama::new(
            c,
            self.matrix(embed, [v, d]),
            blocks,
            Tensor::from_data(TensorData::new(norm, [d]), self.device),
            self.matrix(output, [d, v]),
        ))
    }
}

/// The model of a GGUF file.
pub fn from_gguf(gguf: &Gguf, device: &Device) -> Result<(LlamaConfig, Llama)> {
    let config = LlamaConfig::from_gguf(gguf).with_context(|| gguf.path.display().to_string())?;
    let builder = Builder {
        source: gguf,
        names: &GGUF_NAMES,
        config: &config,
        device,
        pair_qk: false,
    };
    let model = builder.build()?;
    Ok((config, model))
}

/// The model of a Hugging Face checkpoint directory (config.json, model.safetensors).
pub fn from_hf_dir(dir: &Path, device: &Device) -> Result<(LlamaConfig, Llama)> {
    let config_path = dir.join("config.json");
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON", config_path.display()))?;
    let mut config =
        LlamaConfig::from_hf(&json).with_context(|| config_path.display().to_string())?;
    let weights = SafeTensors::open(&dir.join("model.safetensors"))?;
    if !weights.tensors.contains_key(HF_NAMES.output) {
        config.tied = true;
    }
    let builder = Builder {
        source: &weights,
        names: &HF_NAMES,
        config: &config,
        device,
        pair_qk: true,
    };
    let model = builder.build()?;
    Ok((config, model))
}
