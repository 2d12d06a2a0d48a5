//! A whole module compressed into a file's bytes, and a module restored from them: the round
//! trip every evaluation goes through, timed both ways.

use std::time::Instant;

use anyhow::{bail, Result};
use burn::module::Module;

use super::accounting::Accounting;
use super::codec::{method_for, validate, Codec};
use super::file::{parse, serialize, Header};
use super::method::{Encoded, Method};
use super::tensors::{collect, replace, NamedTensor};

/// A compressed model.
#[derive(Debug, Clone)]
pub struct Compressed {
    /// The file's bytes (after the lossless stage).
    pub bytes: Vec<u8>,
    /// Its sizes.
    pub accounting: Accounting,
    /// Seconds to compress (encoding and the lossless stage).
    pub seconds: f64,
}

/// An importance per row of a tensor (its first dimension): the tensors whose name ends with
/// `suffix` and that have `rows.len()` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RowImportance {
    /// End of the tensor's name, such as `embed.weight`.
    pub suffix: String,
    /// One importance per row.
    pub rows: Vec<f32>,
}

impl RowImportance {
    fn of<'a>(importance: &'a [RowImportance], t: &NamedTensor) -> Option<&'a [f32]> {
        importance
            .iter()
            .find(|i| t.name.ends_with(&i.suffix) && t.shape.first() == Some(&i.rows.len()))
            .map(|i| i.rows.as_slice())
    }
}

/// `module` compressed with `method` (small tensors in half precision); `model` describes it
/// in the header; `seed` seeds the methods' random choices.
pub fn compress<M: Module>(
    module: &M,
    model: &serde_json::Value,
    method: Method,
    seed: u64,
    codec: &Codec,
) -> Result<Compressed> {
    compress_with(module, model, method, seed, codec, &[])
}

/// [`compress`] with an importance per row of some tensors (see [`Codec::encode_weighted`]).
pub fn compress_with<M: Module>(
    module: &M,
    model: &serde_json::Value,
    method: Method,
    seed: u64,
    codec: &Codec,
    importance: &[RowImportance],
) -> Result<Compressed> {
    validate(method)?;
    let started = Instant::now();
    let tensors = collect(module);
    for i in importance {
        if !tensors
            .iter()
            .any(|t| RowImportance::of(std::slice::from_ref(i), t).is_some())
        {
            bail!(
                "no tensor named ...{} has {} rows to weigh",
                i.suffix,
                i.rows.len()
            );
        }
    }
    let encoded = tensors
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let rows = RowImportance::of(importance, t);
            let seed = seed.wrapping_add(i as u64);
            codec.encode_weighted(method_for(method, &t.shape), t, seed, rows)
        })
        .collect::<Result<Vec<Encoded>>>()?;
    let names: Vec<(String, Vec<usize>)> = tensors
        .iter()
        .map(|t| (t.name.clone(), t.shape.clone()))
        .collect();
    let packed = serialize(model, &names, &encoded, false)?.len();
    let bytes = serialize(model, &names, &encoded, true)?;
    let counts: Vec<(usize, &Encoded)> = tensors
        .iter()
        .map(|t| t.values.len())
        .zip(&encoded)
        .collect();
    Ok(Compressed {
        accounting: Accounting::of(&counts, packed, bytes.len()),
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// `module` (any instance of the right shape) with the weights of a compressed file's `bytes`
/// (`what` names the file in errors), the file's header and the seconds decoding took.
pub fn restore<M: Module>(
    module: M,
    bytes: &[u8],
    what: &str,
    codec: &Codec,
) -> Result<(M, Header, f64)> {
    let started = Instant::now();
    let (header, encoded) = parse(bytes, what)?;
    let expected = collect(&module);
    if expected.len() != header.tensors.len() {
        bail!(
            "{what}: {} tensors, the model has {}",
            header.tensors.len(),
            expected.len()
        );
    }
    let mut tensors = Vec::with_capacity(encoded.len());
    for ((entry, e), want) in header.tensors.iter().zip(&encoded).zip(&expected) {
        if entry.name != want.name || entry.shape != want.shape {
            bail!(
                "{what}: tensor {} {:?} where the model has {} {:?}",
                entry.name,
                entry.shape,
                want.name,
                want.shape
            );
        }
        let values = codec
            .decode(e, &entry.shape)
            .map_err(|err| anyhow::anyhow!("{what}: tensor {}: {err}", entry.name))?;
        tensors.push(NamedTensor {
            name: entry.name.clone(),
            shape: entry.shape.clone(),
            values,
        });
    }
    let module = replace(module, &tensors)?;
    Ok((module, header, started.elapsed().as_secs_f64()))
}
