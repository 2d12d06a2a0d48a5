//! The one code path of both directions: K streams advance in lockstep through the model,
//! one symbol per stream per step; each step's probabilities become frequency tables, and a
//! [`SymbolCoder`] either encodes the known symbol or decodes it. In adaptive mode, after every
//! segment of symbols the model takes one training step on that segment; the decoder repeats it
//! after decoding the same segment, so both sides hold the same weights at every step.

use std::time::{Duration, Instant};

use anyhow::Result;
use burn::tensor::Device;

use super::format::AdaptiveSettings;
use super::quantize::Table;
use super::range_coder::{Decoder, Encoder};
use crate::models::lm::recurrent::RecurrentState;
use crate::models::lm::train::Trainer;
use crate::models::lm::{LanguageModel, LmConfig};

/// Where the time went.
#[derive(Debug, Clone, Copy, Default)]
pub struct Profile {
    /// Model forward steps.
    pub inference: Duration,
    /// Quantization and range coding.
    pub coder: Duration,
    /// Training steps (adaptive mode).
    pub training: Duration,
    /// Tokenization (or detokenization) of the text.
    pub tokenization: Duration,
}

/// Encodes known symbols or decodes unknown ones.
pub trait SymbolCoder {
    /// The symbol of `stream` at position `t`, coded under the network's distribution
    /// `probs` (empty when the coder does not use the network).
    fn code(&mut self, stream: usize, t: usize, probs: &[f32]) -> usize;

    /// Whether the coder needs the network's distributions (false: the network never runs).
    fn uses_network(&self) -> bool {
        true
    }

    /// A stream whose coded bytes ran out before its symbols did (decoders of a damaged or
    /// crafted file), if any: decoding stops there instead of running on over zeros.
    fn exhausted(&self) -> Option<usize> {
        None
    }
}

/// The error of a stream that ran out of coded bytes.
fn exhausted_error(stream: usize, lengths: &[usize]) -> anyhow::Error {
    crate::error::bad_input(format!(
        "corrupted file: the coded bytes of chunk {} of {} run out before its {} symbols (a damaged stream, or a header that claims more than it holds)",
        stream + 1,
        lengths.len(),
        lengths[stream]
    ))
}

/// Encodes the chunks of an input with the network's distributions alone.
pub struct Encoding<'a> {
    /// The chunks' symbols.
    pub chunks: Vec<&'a [u32]>,
    /// One encoder per chunk.
    pub encoders: Vec<Encoder>,
    table: Table,
}

impl<'a> Encoding<'a> {
    /// Encoders for `chunks` of symbols among `vocab`.
    pub fn new(chunks: Vec<&'a [u32]>, vocab: usize) -> Encoding<'a> {
        Encoding {
            encoders: chunks.iter().map(|_| Encoder::default()).collect(),
            chunks,
            table: Table::new(vocab),
        }
    }
}

impl SymbolCoder for Encoding<'_> {
    fn code(&mut self, stream: usize, t: usize, probs: &[f32]) -> usize {
        self.table.fill(probs);
        let s = self.chunks[stream][t] as usize;
        let (cum, freq) = self.table.interval(s);
        self.encoders[stream].encode(cum, freq);
        s
    }
}

/// Decodes chunks coded with the network's distributions alone.
pub struct Decoding<'a> {
    /// One decoder per chunk.
    pub decoders: Vec<Decoder<'a>>,
    /// The decoded symbols per chunk.
    pub chunks: Vec<Vec<u32>>,
    table: Table,
}

impl<'a> Decoding<'a> {
    /// Decoders of `streams` holding `lengths` symbols among `vocab`.
    pub fn new(streams: &[&'a [u8]], lengths: &[usize], vocab: usize) -> Decoding<'a> {
        Decoding {
            decoders: streams.iter().map(|s| Decoder::new(s)).collect(),
            chunks: output_chunks(lengths),
            table: Table::new(vocab),
        }
    }
}

/// Empty chunks for decoded symbols, `lengths` long (capacity capped: lengths come from a file).
pub fn output_chunks(lengths: &[usize]) -> Vec<Vec<u32>> {
    lengths
        .iter()
        .map(|&n| Vec::with_capacity(n.min(1 << 20)))
        .collect()
}

impl SymbolCoder for Decoding<'_> {
    fn code(&mut self, stream: usize, _t: usize, probs: &[f32]) -> usize {
        self.table.fill(probs);
        let d = &mut self.decoders[stream];
        let s = self.table.find(d.target());
        let (cum, freq) = self.table.interval(s);
        d.consume(cum, freq);
        self.chunks[stream].push(s as u32);
        s
    }

    fn exhausted(&self) -> Option<usize> {
        self.decoders.iter().position(Decoder::overran)
    }
}

/// The model side: a fixed pretrained model, or one that learns as it goes.
pub enum Modeler {
    /// Weights never change.
    Frozen(LanguageModel),
    /// Trained after every segment.
    Adaptive {
        /// The model being trained.
        trainer: Box<Trainer>,
        /// Its current inference copy.
        model: LanguageModel,
        /// Settings.
        settings: AdaptiveSettings,
        /// Training state carried across segments (recurrent models).
        carried: Option<RecurrentState>,
    },
}

impl Modeler {
    /// A freshly seeded adaptive model.
    pub fn adaptive(config: &LmConfig, settings: AdaptiveSettings, device: &Device) -> Modeler {
        Modeler::learning(Trainer::new(config, settings.seed, device), settings)
    }

    /// A pretrained model that keeps learning while coding (dynamic evaluation).
    pub fn dynamic(
        config: &LmConfig,
        pretrained: &LanguageModel,
        settings: AdaptiveSettings,
        device: &Device,
    ) -> Modeler {
        use burn::module::Module;
        let mut trainer = Trainer::new(config, settings.seed, device);
        trainer.model = trainer.model.load_record(pretrained.clone().into_record());
        Modeler::learning(trainer, settings)
    }

    fn learning(trainer: Trainer, settings: AdaptiveSettings) -> Modeler {
        Modeler::Adaptive {
            model: trainer.inference(),
            trainer: Box::new(trainer),
            settings,
            carried: None,
        }
    }

    /// Symbols of its model.
    pub fn vocab(&self) -> usize {
        self.model().vocab()
    }

    pub(super) fn model(&self) -> &LanguageModel {
        match self {
            Modeler::Frozen(m) => m,
            Modeler::Adaptive { model, .. } => model,
        }
    }
}

/// A coder that feeds known symbols and hashes every table (the numerics fingerprint).
pub struct Probe<'a> {
    /// The symbols.
    pub chunks: Vec<&'a [u32]>,
    /// Running hash.
    pub hasher: sha2::Sha256,
    /// The table of the current distribution.
    pub table: Table,
}

impl SymbolCoder for Probe<'_> {
    fn code(&mut self, stream: usize, t: usize, probs: &[f32]) -> usize {
        use sha2::Digest;
        self.table.fill(probs);
        for c in &self.table.cum {
            self.hasher.update(c.to_le_bytes());
        }
        self.chunks[stream][t] as usize
    }
}

/// Runs `lengths.len()` streams of the given lengths through `modeler`, coding each symbol
/// with `coder`.
pub fn run(
    modeler: &mut Modeler,
    lengths: &[usize],
    coder: &mut dyn SymbolCoder,
    mut progress: impl FnMut(usize, usize),
) -> Result<Profile> {
    let device = crate::models::device_of(modeler.model());
    let k = lengths.len();
    let steps = lengths.iter().copied().max().unwrap_or(0);
    let mut profile = Profile::default();
    if !coder.uses_network() {
        return without_network(lengths, coder, progress);
    }
    let mut state = modeler.model().start(k, &device);
    let vocab = modeler.model().vocab();
    let mut inputs = vec![modeler.model().bos(); k];
    // Symbols of the current training segment, per stream (inputs and targets).
    let mut segment: Vec<(Vec<usize>, Vec<usize>)> = vec![(Vec::new(), Vec::new()); k];
    for t in 0..steps {
        let started = Instant::now();
        let (logits, next) = modeler.model().step(&inputs, state, &device);
        state = next;
        let probs: Vec<f32> = burn::tensor::activation::softmax(logits, 1)
            .into_data()
            .try_to_vec()
            .map_err(|e| anyhow::anyhow!("reading probabilities: {e:?}"))?;
        let coded = Instant::now();
        profile.inference += coded - started;
        for s in 0..k {
            let input = inputs[s];
            if t < lengths[s] {
                inputs[s] = coder.code(s, t, &probs[s * vocab..(s + 1) * vocab]);
            } else {
                // A finished stream keeps feeding padding, the same on both sides.
                inputs[s] = 0;
            }
            segment[s].0.push(input);
            segment[s].1.push(inputs[s]);
        }
        if let Some(s) = coder.exhausted() {
            return Err(exhausted_error(s, lengths));
        }
        profile.coder += coded.elapsed();
        if let Modeler::Adaptive {
            trainer,
            model,
            settings,
            carried,
        } = modeler
        {
            if segment[0].0.len() == settings.segment.max(1) && t + 1 < steps {
                let trained = Instant::now();
                let x: Vec<usize> = segment.iter().flat_map(|s| s.0.iter().copied()).collect();
                let y: Vec<usize> = segment.iter().flat_map(|s| s.1.iter().copied()).collect();
                let (_, next) = trainer.step(&x, &y, k, carried.take(), settings.learning_rate)?;
                *carried = next;
                *model = trainer.inference();
                for s in &mut segment {
                    s.0.clear();
                    s.1.clear();
                }
                profile.training += trained.elapsed();
            }
        }
        if t % 256 == 0 {
            progress(t, steps);
        }
    }
    progress(steps, steps);
    Ok(profile)
}

/// The streams coded by a coder that does not use the network, in the same lockstep order.
fn without_network(
    lengths: &[usize],
    coder: &mut dyn SymbolCoder,
    mut progress: impl FnMut(usize, usize),
) -> Result<Profile> {
    let started = Instant::now();
    let steps = lengths.iter().copied().max().unwrap_or(0);
    for t in 0..steps {
        for (s, &len) in lengths.iter().enumerate() {
            if t < len {
                coder.code(s, t, &[]);
            }
        }
        if t % 64 == 0 {
            if let Some(s) = coder.exhausted() {
                return Err(exhausted_error(s, lengths));
            }
        }
        if t % 4096 == 0 {
            progress(t, steps);
        }
    }
    progress(steps, steps);
    Ok(Profile {
        coder: started.elapsed(),
        ..Profile::default()
    })
}
