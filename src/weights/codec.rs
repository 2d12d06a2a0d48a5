//! Compressing and restoring a model's tensors with one method: which tensors it applies to
//! (matrices and embedding tables; biases, norms and other small tensors stay in half
//! precision and are counted), dispatch to the methods, and the file round trip.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Result};

use super::bits::{from_half, to_half, Width};
use super::method::{matrix_shape, Encoded, Method, Role, Stream};
use super::seedlm::SeedTable;
use super::tensors::NamedTensor;
use super::{rtn, seedlm, ternary, vq};

/// Tensors with fewer weights than this (and every tensor of rank below 2) stay in half
/// precision.
pub const SMALL: usize = 1024;

/// The method `method` gives a tensor of `shape`: itself, or half precision for small ones.
pub fn method_for(method: Method, shape: &[usize]) -> Method {
    let count: usize = shape.iter().product();
    if shape.len() < 2 || count < SMALL {
        Method::Half
    } else {
        method
    }
}

/// Checks a method's settings.
pub fn validate(method: Method) -> Result<()> {
    match method {
        Method::Half | Method::Ternary => Ok(()),
        Method::Rtn { bits, .. } if !(1..=16).contains(&bits) => {
            bail!("rtn: bits must be 1 to 16, not {bits}")
        }
        Method::Rtn { .. } => Ok(()),
        Method::SeedLm {
            block,
            coefficients,
        } if coefficients == 0 || coefficients > block => {
            bail!("seedlm: need 1 ≤ coefficients ≤ block, got {coefficients} and {block}")
        }
        Method::SeedLm { .. } => Ok(()),
        Method::Vq {
            dim,
            entries,
            residual,
        } => {
            let pow = |k: usize| k >= 2 && k.is_power_of_two();
            if dim == 0 || !pow(entries) || (residual != 0 && !pow(residual)) {
                bail!("vq: dim ≥ 1 and codebooks of a power of two ≥ 2 entries (got dim {dim}, entries {entries}, residual {residual})");
            }
            Ok(())
        }
    }
}

/// Encodes and decodes tensors, keeping SeedLM's seed tables between tensors.
#[derive(Default)]
pub struct Codec {
    tables: Mutex<HashMap<(usize, usize), Arc<SeedTable>>>,
}

impl Codec {
    fn table(&self, block: usize, coefficients: usize) -> Arc<SeedTable> {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        tables
            .entry((block, coefficients))
            .or_insert_with(|| Arc::new(SeedTable::new(block, coefficients)))
            .clone()
    }

    /// `tensor` compressed with `method` (`seed` seeds what is random, e.g. k-means).
    pub fn encode(&self, method: Method, tensor: &NamedTensor, seed: u64) -> Result<Encoded> {
        self.encode_weighted(method, tensor, seed, None)
    }

    /// [`Codec::encode`] with an importance per row of the tensor (its first dimension), which
    /// vector quantisation weights its k-means objective with (the other methods ignore it).
    pub fn encode_weighted(
        &self,
        method: Method,
        tensor: &NamedTensor,
        seed: u64,
        rows: Option<&[f32]>,
    ) -> Result<Encoded> {
        let v = &tensor.values;
        let (_, cols) = matrix_shape(&tensor.shape);
        Ok(match method {
            Method::Half => Encoded {
                method,
                streams: vec![Stream::new(
                    Role::Codes,
                    Width::Bits(16),
                    v.iter().map(|&x| to_half(x)).collect(),
                )],
            },
            Method::Rtn { bits, group } => rtn::encode(v, &tensor.shape, bits, group),
            Method::Ternary => ternary::encode(v),
            Method::SeedLm {
                block,
                coefficients,
            } => seedlm::encode(&self.table(block, coefficients), v),
            Method::Vq {
                dim,
                entries,
                residual,
            } => vq::encode(v, (dim, entries, residual), seed, rows.map(|r| (r, cols)))?,
        })
    }

    /// The values of an encoded tensor of `shape`.
    pub fn decode(&self, encoded: &Encoded, shape: &[usize]) -> Result<Vec<f32>> {
        let (rows, cols) = matrix_shape(shape);
        let count = rows * cols;
        match encoded.method {
            Method::Half => Ok(encoded
                .stream(0, count)?
                .iter()
                .map(|&b| from_half(b))
                .collect()),
            Method::Rtn { group, .. } => rtn::decode(encoded, shape, group),
            Method::Ternary => ternary::decode(encoded, count),
            Method::SeedLm {
                block,
                coefficients,
            } => {
                validate(encoded.method)?;
                seedlm::decode(&self.table(block, coefficients), encoded, count)
            }
            Method::Vq {
                dim,
                entries,
                residual,
            } => {
                validate(encoded.method)?;
                vq::decode(encoded, count, dim, entries, residual)
            }
        }
    }
}
