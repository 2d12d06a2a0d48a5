//! Writing GGUF files (v3): typed metadata and tensors, quantized from f32 as ggml's reference
//! quantizers do (Q8_0: d = max|x| / 127, q = round(x / d); Q4_0: d = −m / 8 for the value m of
//! largest magnitude, q = min(15, ⌊x / d + 8.5⌋); Q4_1: d = (max − min) / 15, q = min(15,
//! ⌊(x − min) / d + 0.5⌋)). The tests build tiny checkpoints with it, and compressed weights can
//! be written for llama.cpp to read.

use std::path::Path;

use anyhow::{bail, Result};
use half::{bf16, f16};

use super::dtype::{DType, BLOCK};
use super::file::{DEFAULT_ALIGNMENT, MAGIC};
use super::value::code;

/// A GGUF file being assembled.
#[derive(Debug, Default)]
pub struct GgufWriter {
    metadata: Vec<u8>,
    keys: u64,
    tensors: Vec<(String, Vec<u64>, u32, Vec<u8>)>,
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

impl GgufWriter {
    /// An empty file.
    pub fn new() -> GgufWriter {
        GgufWriter::default()
    }

    fn key(&mut self, key: &str, kind: u32) {
        put_string(&mut self.metadata, key);
        self.metadata.extend(kind.to_le_bytes());
        self.keys += 1;
    }

    /// A u32 value.
    pub fn u32(&mut self, key: &str, v: u32) -> &mut Self {
        self.key(key, code::U32);
        self.metadata.extend(v.to_le_bytes());
        self
    }

    /// An f32 value.
    pub fn f32(&mut self, key: &str, v: f32) -> &mut Self {
        self.key(key, code::F32);
        self.metadata.extend(v.to_le_bytes());
        self
    }

    /// A bool value.
    pub fn bool(&mut self, key: &str, v: bool) -> &mut Self {
        self.key(key, code::BOOL);
        self.metadata.push(v as u8);
        self
    }

    /// A string value.
    pub fn string(&mut self, key: &str, v: &str) -> &mut Self {
        self.key(key, code::STRING);
        put_string(&mut self.metadata, v);
        self
    }

    /// An array of strings.
    pub fn strings(&mut self, key: &str, items: &[String]) -> &mut Self {
        self.key(key, code::ARRAY);
        self.metadata.extend(code::STRING.to_le_bytes());
        self.metadata.extend((items.len() as u64).to_le_bytes());
        for s in items {
            put_string(&mut self.metadata, s);
        }
        self
    }

    /// An array of i32.
    pub fn i32s(&mut self, key: &str, items: &[i32]) -> &mut Self {
        self.key(key, code::ARRAY);
        self.metadata.extend(code::I32.to_le_bytes());
        self.metadata.extend((items.len() as u64).to_le_bytes());
        for v in items {
            self.metadata.extend(v.to_le_bytes());
        }
        self
    }

    /// A tensor of `dims` (ggml's order: columns first) from row-major f32 weights, stored as
    /// `dtype`.
    pub fn tensor(
        &mut self,
        name: &str,
        dims: &[u64],
        weights: &[f32],
        dtype: DType,
    ) -> Result<&mut Self> {
        let n: u64 = dims.iter().product();
        if n != weights.len() as u64 {
            bail!(
                "tensor {name}: {} weights for dimensions {dims:?}",
                weights.len()
            );
        }
        if dtype.bytes_for(n).is_none() {
            bail!(
                "tensor {name}: {n} weights are not whole blocks of {}",
                dtype.name()
            );
        }
        self.tensors.push((
            name.to_string(),
            dims.to_vec(),
            dtype.code(),
            quantize(dtype, weights),
        ));
        Ok(self)
    }

    /// A tensor of any ggml type code with its bytes as they are (tests write types runner
    /// refuses, and sizes that disagree).
    pub fn raw_tensor(&mut self, name: &str, dims: &[u64], code: u32, data: Vec<u8>) -> &mut Self {
        self.tensors
            .push((name.to_string(), dims.to_vec(), code, data));
        self
    }

    /// The file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let align = DEFAULT_ALIGNMENT as usize;
        let mut out = Vec::new();
        out.extend(MAGIC);
        out.extend(3u32.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend(self.keys.to_le_bytes());
        out.extend(&self.metadata);
        let mut offset = 0u64;
        for (name, dims, code, data) in &self.tensors {
            put_string(&mut out, name);
            out.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                out.extend(d.to_le_bytes());
            }
            out.extend(code.to_le_bytes());
            out.extend(offset.to_le_bytes());
            offset += (data.len() as u64).div_ceil(align as u64) * align as u64;
        }
        out.resize(out.len().div_ceil(align) * align, 0);
        for (_, _, _, data) in &self.tensors {
            out.extend(data);
            out.resize(out.len().div_ceil(align) * align, 0);
        }
        out
    }

    /// Writes the file atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        crate::store::atomic::write_atomic(path, &self.bytes())
    }
}

/// `weights` (a whole number of blocks) stored as `dtype`.
pub fn quantize(dtype: DType, weights: &[f32]) -> Vec<u8> {
    let mut out = Vec::new();
    match dtype {
        DType::F32 => weights.iter().for_each(|w| out.extend(w.to_le_bytes())),
        DType::F16 => weights
            .iter()
            .for_each(|w| out.extend(f16::from_f32(*w).to_le_bytes())),
        DType::Bf16 => weights
            .iter()
            .for_each(|w| out.extend(bf16::from_f32(*w).to_le_bytes())),
        DType::Q8_0 => weights.chunks(BLOCK).for_each(|b| q8_0(b, &mut out)),
        DType::Q4_0 => weights.chunks(BLOCK).for_each(|b| q4_0(b, &mut out)),
        DType::Q4_1 => weights.chunks(BLOCK).for_each(|b| q4_1(b, &mut out)),
    }
    out
}

fn inverse(d: f32) -> f32 {
    if d != 0.0 {
        1.0 / d
    } else {
        0.0
    }
}

fn q8_0(x: &[f32], out: &mut Vec<u8>) {
    let amax = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = amax / 127.0;
    let id = inverse(d);
    out.extend(f16::from_f32(d).to_le_bytes());
    out.extend(x.iter().map(|v| (v * id).round() as i8 as u8));
}

fn q4_0(x: &[f32], out: &mut Vec<u8>) {
    let max = x
        .iter()
        .fold(0f32, |m, &v| if v.abs() > m.abs() { v } else { m });
    let d = max / -8.0;
    let id = inverse(d);
    out.extend(f16::from_f32(d).to_le_bytes());
    let q = |v: f32| ((v * id + 8.5) as i8).min(15) as u8;
    out.extend((0..BLOCK / 2).map(|j| q(x[j]) | (q(x[j + BLOCK / 2]) << 4)));
}

fn q4_1(x: &[f32], out: &mut Vec<u8>) {
    let min = x.iter().copied().fold(f32::INFINITY, f32::min);
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let d = (max - min) / 15.0;
    let id = inverse(d);
    out.extend(f16::from_f32(d).to_le_bytes());
    out.extend(f16::from_f32(min).to_le_bytes());
    let q = |v: f32| (((v - min) * id + 0.5) as i8).min(15) as u8;
    out.extend((0..BLOCK / 2).map(|j| q(x[j]) | (q(x[j + BLOCK / 2]) << 4)));
}
