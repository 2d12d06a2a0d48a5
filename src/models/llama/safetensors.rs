//! Reading safetensors files, the form Hugging Face checkpoints are downloaded in: an 8-byte
//! header length, a JSON table of tensors (dtype, shape, byte range) and the data. F32, F16 and
//! BF16 are read; every range is checked against the file before anything is read.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::models::gguf::dtype::{dequantize, DType};

/// The largest header accepted (the table of a model with many thousands of tensors).
const MAX_HEADER: u64 = 100 << 20;

/// One tensor of a safetensors file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its type.
    pub dtype: DType,
    /// Its shape, outermost first.
    pub shape: Vec<usize>,
    /// Its bytes' start in the file.
    pub start: u64,
    /// Its bytes' end.
    pub end: u64,
}

/// An open safetensors file.
#[derive(Debug, Clone)]
pub struct SafeTensors {
    /// The file.
    pub path: PathBuf,
    /// Its tensors, by name.
    pub tensors: BTreeMap<String, Entry>,
}

fn dtype_of(name: &str) -> Option<DType> {
    Some(match name {
        "F32" => DType::F32,
        "F16" => DType::F16,
        "BF16" => DType::Bf16,
        _ => return None,
    })
}

impl SafeTensors {
    /// Opens `path` and reads its table.
    pub fn open(path: &Path) -> Result<SafeTensors> {
        Self::read_table(path)
            .with_context(|| format!("{}: not a readable safetensors file", path.display()))
    }

    fn read_table(path: &Path) -> Result<SafeTensors> {
        let mut file =
            File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let len = file.metadata()?.len();
        let mut n = [0u8; 8];
        file.read_exact(&mut n)
            .context("the file ends before its header length")?;
        let n = u64::from_le_bytes(n);
        if n > MAX_HEADER || n + 8 > len {
            bail!("a header of {n} bytes in a file of {len}");
        }
        let mut header = vec![0u8; n as usize];
        file.read_exact(&mut header)?;
        let table: BTreeMap<String, Value> =
            serde_json::from_slice(&header).context("the header is not a JSON table")?;
        let data = 8 + n;
        let mut tensors = BTreeMap::new();
        for (name, t) in table.into_iter().filter(|(k, _)| k != "__metadata__") {
            let kind = t["dtype"].as_str().unwrap_or("?");
            let dtype = dtype_of(kind).with_context(|| {
                format!("tensor {name} has type {kind} (F32, F16 and BF16 are read)")
            })?;
            let shape: Vec<usize> = t["shape"]
                .as_array()
                .map(|s| {
                    s.iter()
                        .filter_map(|d| d.as_u64().map(|d| d as usize))
                        .collect()
                })
                .with_context(|| format!("tensor {name}: no shape"))?;
            let range = t["data_offsets"].as_array().filter(|r| r.len() == 2);
            let (start, end) = range
                .and_then(|r| Some((r[0].as_u64()?, r[1].as_u64()?)))
                .with_context(|| format!("tensor {name}: no data_offsets"))?;
            let elements = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
            let bytes = elements.and_then(|e| dtype.bytes_for(e));
            if end < start || Some(end - start) != bytes || data + end > len {
                bail!("tensor {name}: bytes {start}..{end} do not hold shape {shape:?} of {kind} inside the file");
            }
            tensors.insert(
                name,
                Entry {
                    dtype,
                    shape,
                    start: data + start,
                    end: data + end,
                },
            );
        }
        Ok(SafeTensors {
            path: path.to_path_buf(),
            tensors,
        })
    }

    /// A tensor's shape and weights as f32.
    pub fn read_f32(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>)> {
        let e = self
            .tensors
            .get(name)
            .with_context(|| format!("{}: no tensor {name}", self.path.display()))?;
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(e.start))?;
        let mut buf = vec![0u8; (e.end - e.start) as usize];
        file.read_exact(&mut buf)
            .with_context(|| format!("{}: tensor {name} cut short", self.path.display()))?;
        Ok((e.shape.clone(), dequantize(e.dtype, &buf)))
    }
}

/// Writes F32 tensors (name, shape, weights) as a safetensors file (tests build checkpoints).
pub fn write_f32(path: &Path, tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> Result<()> {
    let mut table = serde_json::Map::new();
    let mut at = 0usize;
    for (name, shape, w) in tensors {
        let end = at + w.len() * 4;
        table.insert(
            name.to_string(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [at, end]}),
        );
        at = end;
    }
    let header = serde_json::to_vec(&table)?;
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header);
    for (_, _, w) in tensors {
        w.iter().for_each(|v| out.extend(v.to_le_bytes()));
    }
    crate::store::atomic::write_atomic(path, &out)
}
