//! Language models over a small symbol alphabet (bytes), for learned lossless compression:
//! GRU, LSTM and a small causal transformer, with one `step` used by both directions of the
//! coder and a sequence `forward` used for training.

pub mod config;
pub mod recurrent;
pub mod symbols;
pub mod train;
pub mod transformer;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor};

pub use config::{Arch, LmConfig, MAX_HIDDEN, MAX_LAYERS, MAX_WEIGHTS, MAX_WINDOW};
pub use symbols::{BYTES, MAX_VOCAB};

use recurrent::{Cell, RecurrentLm, RecurrentState};
use transformer::{TransformerLm, TransformerState};

/// A language model of any architecture.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum LanguageModel {
    /// GRU or LSTM.
    Recurrent(RecurrentLm),
    /// Causal transformer.
    Transformer(TransformerLm),
}

/// What a model carries from one step to the next, for a batch of streams.
#[derive(Debug, Clone)]
pub enum LmState {
    /// Hidden (and cell) states per layer.
    Recurrent(RecurrentState),
    /// Key/value cache and the window's symbols.
    Transformer(TransformerState),
}

impl LmConfig {
    /// A freshly initialised model (seed the device first for a reproducible one).
    pub fn init(&self, device: &Device) -> LanguageModel {
        match self.arch {
            Arch::Gru => LanguageModel::Recurrent(RecurrentLm::new(Cell::Gru, self, device)),
            Arch::Lstm => LanguageModel::Recurrent(RecurrentLm::new(Cell::Lstm, self, device)),
            Arch::Transformer => LanguageModel::Transformer(TransformerLm::new(self, device)),
        }
    }
}

impl LanguageModel {
    /// The empty state of `batch` streams (nothing seen yet).
    pub fn start(&self, batch: usize, device: &Device) -> LmState {
        match self {
            LanguageModel::Recurrent(m) => LmState::Recurrent(m.start(batch, device)),
            LanguageModel::Transformer(m) => LmState::Transformer(m.start(batch)),
        }
    }

    /// Symbols it predicts.
    pub fn vocab(&self) -> usize {
        match self {
            LanguageModel::Recurrent(m) => m.vocab(),
            LanguageModel::Transformer(m) => m.vocab(),
        }
    }

    /// The start symbol fed before a stream's first symbol.
    pub fn bos(&self) -> usize {
        self.vocab()
    }

    /// Feeds one input symbol per stream (`bos()` first) and returns the logits of the next
    /// symbol [batch, vocab]. Encoder and decoder both call exactly this.
    pub fn step(&self, inputs: &[usize], state: LmState, device: &Device) -> (Tensor<2>, LmState) {
        match (self, state) {
            (LanguageModel::Recurrent(m), LmState::Recurrent(s)) => {
                let (logits, s) = m.step(inputs, s, device);
                (logits, LmState::Recurrent(s))
            }
            (LanguageModel::Transformer(m), LmState::Transformer(s)) => {
                let (logits, s) = m.step(inputs, s, device);
                (logits, LmState::Transformer(s))
            }
            _ => unreachable!("a state always comes from the same model's `start`"),
        }
    }

    /// Logits for every position of `inputs` [batch, time] → [batch, time, vocab], starting
    /// from `state` (recurrent models; `None` = zeros) and returning the final state (detached
    /// from the graph by the caller when it carries it on).
    pub fn forward(
        &self,
        inputs: Tensor<2, Int>,
        state: Option<RecurrentState>,
    ) -> (Tensor<3>, Option<RecurrentState>) {
        match self {
            LanguageModel::Recurrent(m) => {
                let (logits, s) = m.forward(inputs, state);
                (logits, Some(s))
            }
            LanguageModel::Transformer(m) => (m.forward(inputs), None),
        }
    }

    /// Bits (−log₂ p) of each target given its input and everything before it, for `batch`
    /// streams of row-major `inputs` / `targets` [batch, time], starting from `state`
    /// (recurrent models; the transformer sees at most its window). Returns the final state.
    pub fn bits(
        &self,
        inputs: &[usize],
        targets: &[usize],
        batch: usize,
        state: Option<RecurrentState>,
        device: &Device,
    ) -> (Vec<f64>, Option<RecurrentState>) {
        if inputs.is_empty() {
            return (Vec::new(), state);
        }
        let time = inputs.len() / batch;
        let data: Vec<i64> = inputs.iter().map(|&s| s as i64).collect();
        let x =
            Tensor::<2, Int>::from_data(burn::tensor::TensorData::new(data, [batch, time]), device);
        let (logits, state) = self.forward(x, state);
        let logp = burn::tensor::activation::log_softmax(logits, 2);
        let values: Vec<f32> = logp.into_data().try_to_vec().unwrap_or_default();
        let vocab = self.vocab();
        let bits = targets
            .iter()
            .enumerate()
            .map(|(i, &y)| -f64::from(values[i * vocab + y]) / std::f64::consts::LN_2)
            .collect();
        (bits, state)
    }

    /// Parameters.
    pub fn parameters(&self) -> usize {
        self.num_params()
    }
}

/// A small model shape for tests.
#[cfg(test)]
pub(crate) fn test_config(arch: Arch, hidden: usize) -> LmConfig {
    LmConfig {
        arch,
        hidden,
        layers: 1,
        heads: 2,
        window: 8,
        vocab: BYTES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits_by_steps(model: &LanguageModel, seq: &[Vec<usize>], device: &Device) -> Vec<f32> {
        let (b, t) = (seq.len(), seq[0].len());
        let mut state = model.start(b, device);
        let mut out = vec![0f32; b * t * BYTES];
        for i in 0..t {
            let inputs: Vec<usize> = seq.iter().map(|s| s[i]).collect();
            let (logits, next) = model.step(&inputs, state, device);
            state = next;
            let v: Vec<f32> = logits.into_data().try_to_vec().unwrap();
            for s in 0..b {
                let at = (s * t + i) * BYTES;
                out[at..at + BYTES].copy_from_slice(&v[s * BYTES..(s + 1) * BYTES]);
            }
        }
        out
    }

    #[test]
    fn steps_agree_with_the_sequence_forward_and_survive_saving() {
        let _alone = crate::models::draws_alone();
        let device = crate::models::device::cpu();
        let seq: Vec<Vec<usize>> = vec![
            b"hello world!".iter().map(|&b| b as usize).collect(),
            b"0123456789ab".iter().map(|&b| b as usize).collect(),
        ];
        let flat: Vec<i64> = seq.iter().flatten().map(|&s| s as i64).collect();
        for arch in [Arch::Gru, Arch::Lstm, Arch::Transformer] {
            let config = LmConfig {
                arch,
                hidden: 16,
                layers: 2,
                heads: 2,
                window: 16,
                vocab: BYTES,
            };
            let model = train::init_seeded(&config, 7, &device);
            let x = Tensor::<2, Int>::from_data(
                burn::tensor::TensorData::new(flat.clone(), [2, 12]),
                &device,
            );
            let (forward, _) = model.forward(x, None);
            let forward: Vec<f32> = forward.into_data().try_to_vec().unwrap();
            let stepped = logits_by_steps(&model, &seq, &device);
            let diff = forward
                .iter()
                .zip(&stepped)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(diff < 1e-4, "{arch:?}: step and forward differ by {diff}");
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("m.bpk");
            model.clone().save_file(&path).unwrap();
            let loaded = train::load(&config, &path, &device).unwrap();
            assert_eq!(logits_by_steps(&loaded, &seq, &device), stepped, "{arch:?}");
        }
    }
}
