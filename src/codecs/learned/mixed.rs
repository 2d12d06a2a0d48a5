//! The coders of context mixing: each byte of each stream is coded bit by bit through the
//! shared [`ContextMixer`], the network's distribution (when it has one) one of its inputs.

use super::driver::{output_chunks, SymbolCoder};
use super::mixing::bit_coder::{BitDecoder, BitEncoder};
use super::mixing::coding::{cumulative_into, decode_byte, encode_byte};
use super::mixing::predictor::ContextMixer;
use super::mixing::MixingConfig;

/// Encodes the chunks of an input by context mixing.
pub struct MixEncoding<'a> {
    chunks: Vec<&'a [u32]>,
    encoders: Vec<BitEncoder>,
    mixer: ContextMixer,
    sums: Vec<f64>,
}

impl<'a> MixEncoding<'a> {
    /// Encoders for `chunks` (bytes).
    pub fn new(chunks: Vec<&'a [u32]>, config: &MixingConfig) -> anyhow::Result<MixEncoding<'a>> {
        Ok(MixEncoding {
            encoders: chunks.iter().map(|_| BitEncoder::new()).collect(),
            mixer: ContextMixer::new(config, chunks.len())?,
            chunks,
            sums: Vec::new(),
        })
    }

    /// The coded streams.
    pub fn finish(self) -> Vec<Vec<u8>> {
        self.encoders.into_iter().map(BitEncoder::finish).collect()
    }
}

/// The network's running sums in `sums`, or None for a coder without it.
fn network<'s>(probs: &[f32], sums: &'s mut Vec<f64>) -> Option<&'s [f64]> {
    if probs.is_empty() {
        return None;
    }
    cumulative_into(probs, sums);
    Some(sums)
}

impl SymbolCoder for MixEncoding<'_> {
    fn code(&mut self, stream: usize, t: usize, probs: &[f32]) -> usize {
        let byte = self.chunks[stream][t];
        let sums = network(probs, &mut self.sums);
        encode_byte(
            &mut self.mixer,
            &mut self.encoders[stream],
            stream,
            byte as u8,
            sums,
        );
        byte as usize
    }

    fn uses_network(&self) -> bool {
        self.mixer.config().neural
    }
}

/// Decodes chunks coded by context mixing.
pub struct MixDecoding<'a> {
    decoders: Vec<BitDecoder<'a>>,
    /// The decoded bytes per chunk.
    pub chunks: Vec<Vec<u32>>,
    mixer: ContextMixer,
    sums: Vec<f64>,
}

impl<'a> MixDecoding<'a> {
    /// Decoders of `streams` holding `lengths` bytes.
    pub fn new(
        streams: &[&'a [u8]],
        lengths: &[usize],
        config: &MixingConfig,
    ) -> anyhow::Result<MixDecoding<'a>> {
        Ok(MixDecoding {
            decoders: streams.iter().map(|s| BitDecoder::new(s)).collect(),
            chunks: output_chunks(lengths),
            mixer: ContextMixer::new(config, streams.len())?,
            sums: Vec::new(),
        })
    }
}

impl SymbolCoder for MixDecoding<'_> {
    fn code(&mut self, stream: usize, _t: usize, probs: &[f32]) -> usize {
        let sums = network(probs, &mut self.sums);
        let byte = decode_byte(&mut self.mixer, &mut self.decoders[stream], stream, sums);
        self.chunks[stream].push(u32::from(byte));
        usize::from(byte)
    }

    fn uses_network(&self) -> bool {
        self.mixer.config().neural
    }

    fn exhausted(&self) -> Option<usize> {
        self.decoders.iter().position(BitDecoder::overran)
    }
}
