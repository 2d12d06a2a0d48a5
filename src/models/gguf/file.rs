//! Reading a GGUF file (v3; v2 reads the same): the header, the metadata, the tensor table,
//! and each tensor's weights on demand. Every count and size the file declares is checked
//! against what the file can hold before anything is allocated from it, so a damaged or
//! crafted file is an error naming the file and what is wrong, never an abort.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::dtype::{code_name, dequantize, DType};
use super::value::{code, min_size, MetaValue};

/// The magic bytes a GGUF file starts with.
pub const MAGIC: &[u8; 4] = b"GGUF";
/// Dimensions a tensor may have (ggml's limit).
pub const MAX_DIMS: usize = 4;
/// The default alignment of the tensor data.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// One tensor of the file's table.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Its name (`blk.0.attn_q.weight`).
    pub name: String,
    /// Its dimensions, ggml's order: the first is the fastest varying (a matrix's columns).
    pub dims: Vec<u64>,
    /// Its type.
    pub dtype: DType,
    /// Where its data starts, from the start of the data section.
    pub offset: u64,
}

impl TensorInfo {
    /// Its number of weights.
    pub fn elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Its size in the file.
    pub fn bytes(&self) -> u64 {
        self.dtype.bytes_for(self.elements()).unwrap_or(0)
    }
}

/// An open GGUF file: its metadata and tensor table (weights are read on demand).
#[derive(Debug, Clone)]
pub struct Gguf {
    /// The file.
    pub path: PathBuf,
    /// The format version.
    pub version: u32,
    /// The metadata, by key.
    pub metadata: BTreeMap<String, MetaValue>,
    /// The tensors, in the file's order.
    pub tensors: Vec<TensorInfo>,
    /// Where the data section starts.
    pub data_start: u64,
    /// The file's length.
    pub file_len: u64,
}

/// A reader that knows how many bytes remain, so counts can be bounded before allocation.
struct Cursor<R> {
    inner: R,
    at: u64,
    len: u64,
}

impl<R: Read> Cursor<R> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.inner
            .read_exact(&mut buf)
            .map_err(|_| anyhow::anyhow!("the file ends early (at byte {})", self.at))?;
        self.at += N as u64;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.at)
    }

    /// Checks that `count` items of at least `each` bytes fit in what remains.
    fn fits(&self, count: u64, each: u64, what: &str) -> Result<()> {
        match count.checked_mul(each) {
            Some(n) if n <= self.remaining() => Ok(()),
            _ => bail!(
                "{what} declares {count} entries at byte {}, more than the {} bytes left could hold",
                self.at,
                self.remaining()
            ),
        }
    }

    fn string(&mut self) -> Result<String> {
        let n = self.u64()?;
        self.fits(n, 1, "a string")?;
        let mut buf = vec![0u8; n as usize];
        self.inner
            .read_exact(&mut buf)
            .map_err(|_| anyhow::anyhow!("the file ends early (at byte {})", self.at))?;
        self.at += n;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }

    fn value(&mut self, kind: u32, depth: usize) -> Result<MetaValue> {
        Ok(match kind {
            code::U8 => MetaValue::Uint(self.bytes::<1>()?[0] as u64),
            code::I8 => MetaValue::Int(self.bytes::<1>()?[0] as i8 as i64),
            code::U16 => MetaValue::Uint(u16::from_le_bytes(self.bytes()?) as u64),
            code::I16 => MetaValue::Int(i16::from_le_bytes(self.bytes()?) as i64),
            code::U32 => MetaValue::Uint(self.u32()? as u64),
            code::I32 => MetaValue::Int(i32::from_le_bytes(self.bytes()?) as i64),
            code::F32 => MetaValue::Float(f32::from_le_bytes(self.bytes()?) as f64),
            code::BOOL => MetaValue::Bool(self.bytes::<1>()?[0] != 0),
            code::STRING => MetaValue::Str(self.string()?),
            code::U64 => MetaValue::Uint(self.u64()?),
            code::I64 => MetaValue::Int(i64::from_le_bytes(self.bytes()?)),
            code::F64 => MetaValue::Float(f64::from_le_bytes(self.bytes()?)),
            code::ARRAY => {
                if depth > 0 {
                    bail!("an array of arrays at byte {} (not supported)", self.at);
                }
                let inner = self.u32()?;
                let n = self.u64()?;
                let each = min_size(inner)
                    .with_context(|| format!("unknown value type {inner} at byte {}", self.at))?;
                self.fits(n, each, "an array")?;
                let mut items = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    items.push(self.value(inner, depth + 1)?);
                }
                MetaValue::Array(items)
            }
            other => bail!("unknown value type {other} at byte {}", self.at),
        })
    }
}

impl Gguf {
    /// Opens `path` and reads its header, metadata and tensor table.
    pub fn open(path: &Path) -> Result<Gguf> {
        Self::read_header(path)
            .with_context(|| format!("{}: not a readable GGUF file", path.display()))
    }

    fn read_header(path: &Path) -> Result<Gguf> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let len = file.metadata()?.len();
        let mut c = Cursor {
            inner: BufReader::new(file),
            at: 0,
            len,
        };
        if &c.bytes::<4>()? != MAGIC {
            bail!("bad magic (a GGUF file starts with \"GGUF\")");
        }
        let version = c.u32()?;
        if !(2..=3).contains(&version) {
            bail!("GGUF version {version} (runner reads versions 2 and 3)");
        }
        let tensor_count = c.u64()?;
        let kv_count = c.u64()?;
        c.fits(kv_count, 8 + 4 + 1, "the metadata")?;
        let mut metadata = BTreeMap::new();
        for _ in 0..kv_count {
            let key = c.string()?;
            let kind = c.u32()?;
            let value = c
                .value(kind, 0)
                .with_context(|| format!("metadata key {key}"))?;
            metadata.insert(key, value);
        }
        c.fits(tensor_count, 8 + 4 + 8 + 4 + 8, "the tensor table")?;
        let mut tensors = Vec::with_capacity(tensor_count as usize);
        for _ in 0..tensor_count {
            tensors.push(Self::tensor_info(&mut c)?);
        }
        let alignment = match metadata.get("general.alignment") {
            Some(v) => v
                .as_u64()
                .filter(|a| a.is_power_of_two())
                .with_context(|| {
                    format!("general.alignment is {} (a power of two)", v.describe())
                })?,
            None => DEFAULT_ALIGNMENT,
        };
        let data_start = c.at.div_ceil(alignment) * alignment;
        let gguf = Gguf {
            path: path.to_path_buf(),
            version,
            metadata,
            tensors,
            data_start,
            file_len: len,
        };
        gguf.check_tensors(alignment)?;
        Ok(gguf)
    }

    fn tensor_info<R: Read>(c: &mut Cursor<R>) -> Result<TensorInfo> {
        let name = c.string()?;
        let n_dims = c.u32()? as usize;
        if n_dims == 0 || n_dims > MAX_DIMS {
            bail!("tensor {name}: {n_dims} dimensions (1 to {MAX_DIMS})");
        }
        let mut dims = Vec::with_capacity(n_dims);
        for _ in 0..n_dims {
            dims.push(c.u64()?);
        }
        let code = c.u32()?;
        let dtype = DType::from_code(code).with_context(|| {
            format!(
                "tensor {name} has type {}, which runner does not read (F32, F16, BF16, Q8_0, Q4_0, Q4_1)",
                code_name(code)
            )
        })?;
        let offset = c.u64()?;
        Ok(TensorInfo {
            name,
            dims,
            dtype,
            offset,
        })
    }

    /// Every tensor lies inside the file, aligned, a whole number of blocks.
    fn check_tensors(&self, alignment: u64) -> Result<()> {
        let room = self.file_len.saturating_sub(self.data_start);
        for t in &self.tensors {
            let elements = t
                .dims
                .iter()
                .try_fold(1u64, |n, &d| n.checked_mul(d).filter(|_| d > 0))
                .with_context(|| format!("tensor {}: dimensions {:?}", t.name, t.dims))?;
            let bytes = t.dtype.bytes_for(elements).with_context(|| {
                format!(
                    "tensor {}: {elements} weights are not whole {}-weight blocks of {}",
                    t.name,
                    t.dtype.block_weights(),
                    t.dtype.name()
                )
            })?;
            if t.offset % alignment != 0 {
                bail!(
                    "tensor {}: offset {} is not aligned to {alignment}",
                    t.name,
                    t.offset
                );
            }
            match t.offset.checked_add(bytes) {
                Some(end) if end <= room => {}
                _ => bail!(
                    "tensor {}: {bytes} bytes at offset {} reach past the end of the file ({room} bytes of data)",
                    t.name,
                    t.offset
                ),
            }
        }
        Ok(())
    }

    /// The metadata value of `key`.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.get(key)
    }

    /// The tensor called `name`.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The raw bytes of a tensor.
    pub fn raw(&self, t: &TensorInfo) -> Result<Vec<u8>> {
        let mut file = File::open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        file.seek(SeekFrom::Start(self.data_start + t.offset))?;
        let mut buf = vec![0u8; t.bytes() as usize];
        file.read_exact(&mut buf)
            .with_context(|| format!("{}: tensor {} cut short", self.path.display(), t.name))?;
        Ok(buf)
    }

    /// A tensor's weights as f32, dequantized, in the file's order.
    pub fn read_f32(&self, t: &TensorInfo) -> Result<Vec<f32>> {
        Ok(dequantize(t.dtype, &self.raw(t)?))
    }
}
