//! Weight compression of trained models: round to nearest ([`rtn`]), ternary ([`ternary`]),
//! SeedLM ([`seedlm`] over [`lfsr`]), vector quantisation ([`vq`]), the lossless last stage
//! ([`entropy`]), the checksummed file ([`file`]), honest bit accounting ([`accounting`]), and
//! the bridge between burn modules and plain tensors ([`tensors`]); [`codec`] puts them together,
//! [`model`] compresses a whole module and loads it back.

pub mod accounting;
pub mod bits;
pub mod codec;
pub mod entropy;
pub mod file;
pub mod lfsr;
pub mod method;
pub mod model;
pub mod qat;
pub mod rtn;
pub mod seedlm;
pub mod tensors;
pub mod ternary;
pub mod vq;

#[cfg(test)]
mod tests;
