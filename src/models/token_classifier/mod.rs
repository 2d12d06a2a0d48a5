//! A bidirectional token classifier (the LLMLingua-2 compressor's model): every whitespace
//! token of a context is embedded from a hashed, lower-cased form plus a few shape features
//! (capitalisation, digits, punctuation), a learned position is added, a transformer encoder
//! without a causal mask lets every token see both sides, and a linear head gives each token's
//! keep logit. Trained from labels by [`train`].

pub mod train;

use burn::config::Config;
use burn::module::Module;
use burn::nn::transformer::{
    TransformerEncoder, TransformerEncoderConfig, TransformerEncoderInput,
};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

/// Shape features per token (see [`encode`]).
pub const FEATURES: usize = 6;

/// Classifier hyperparameters.
#[derive(Config, Debug, PartialEq)]
pub struct TokenClassifierConfig {
    /// Hash buckets of the word embedding (0 = padding, 1 = a token without letters or digits).
    #[config(default = 16384)]
    pub buckets: usize,
    /// Width of every layer (its default is the prompt-compression task's).
    pub d_model: usize,
    /// Encoder layers.
    pub layers: usize,
    /// Attention heads.
    #[config(default = 4)]
    pub heads: usize,
    /// Longest sequence, in tokens (longer texts are classified in pieces of this length).
    #[config(default = 256)]
    pub max_len: usize,
}

/// The classifier.
#[derive(Module, Debug)]
pub struct TokenClassifier {
    embed: Embedding,
    position: Embedding,
    shape: Linear,
    encoder: TransformerEncoder,
    head: Linear,
}

/// An encoded sequence of tokens: each one's bucket and shape features.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// Hash bucket ids.
    pub ids: Vec<u32>,
    /// Shape features, [`FEATURES`] per token.
    pub features: Vec<[f32; FEATURES]>,
}

/// Encodes whitespace tokens: bucket of the lower-cased letters and digits (1 when there are
/// none), and features: starts upper-case, all upper-case (two letters or more), has a digit,
/// has no letter or digit, ends with punctuation, starts a sentence.
pub fn encode(tokens: &[&str], buckets: usize) -> Encoded {
    let mut ids = Vec::with_capacity(tokens.len());
    let mut features = Vec::with_capacity(tokens.len());
    let mut sentence_start = true;
    for t in tokens {
        let norm: String = t
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        ids.push(if norm.is_empty() {
            1
        } else {
            2 + crc32fast::hash(norm.as_bytes()) % (buckets.max(3) as u32 - 2)
        });
        let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let last = t.chars().last().unwrap_or(' ');
        features.push([
            flag(t.chars().next().is_some_and(char::is_uppercase)),
            flag(letters.len() > 1 && letters.iter().all(|c| c.is_uppercase())),
            flag(t.chars().any(|c| c.is_ascii_digit())),
            flag(norm.is_empty()),
            flag(last.is_ascii_punctuation()),
            flag(sentence_start),
        ]);
        sentence_start = matches!(last, '.' | '!' | '?');
    }
    Encoded { ids, features }
}

/// A padded batch of encoded sequences.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Bucket ids [batch, length].
    pub ids: Tensor<2, Int>,
    /// Shape features [batch, length, FEATURES].
    pub features: Tensor<3>,
    /// Positions [batch, length].
    pub positions: Tensor<2, Int>,
    /// True at padding [batch, length].
    pub pad: Tensor<2, Bool>,
}

/// Pads sequences (each at most `max_len` long) into a batch on `device`.
pub fn batch(items: &[&Encoded], device: &Device) -> Batch {
    let b = items.len();
    let l = items.iter().map(|e| e.ids.len()).max().unwrap_or(1).max(1);
    let mut ids = vec![0i64; b * l];
    let mut feats = vec![0f32; b * l * FEATURES];
    let mut pad = vec![true; b * l];
    for (i, e) in items.iter().enumerate() {
        for (j, (&id, f)) in e.ids.iter().zip(&e.features).enumerate() {
            ids[i * l + j] = i64::from(id);
            pad[i * l + j] = false;
            feats[(i * l + j) * FEATURES..(i * l + j + 1) * FEATURES].copy_from_slice(f);
        }
    }
    let positions: Vec<i64> = (0..b).flat_map(|_| 0..l as i64).collect();
    Batch {
        ids: Tensor::<2, Int>::from_data(TensorData::new(ids, [b, l]), device),
        features: Tensor::<3>::from_data(TensorData::new(feats, [b, l, FEATURES]), device),
        positions: Tensor::<2, Int>::from_data(TensorData::new(positions, [b, l]), device),
        pad: Tensor::<2, Bool>::from_data(TensorData::new(pad, [b, l]), device),
    }
}

impl TokenClassifierConfig {
    /// Builds a freshly initialised classifier on `device`.
    pub fn init(&self, device: &Device) -> TokenClassifier {
        let d = self.d_model;
        TokenClassifier {
            embed: EmbeddingConfig::new(self.buckets.max(3), d).init(device),
            position: EmbeddingConfig::new(self.max_len.max(1), d).init(device),
            shape: LinearConfig::new(FEATURES, d).init(device),
            encoder: TransformerEncoderConfig::new(d, 2 * d, self.heads.max(1), self.layers)
                .with_dropout(0.0)
                .with_norm_first(true)
                .init(device),
            head: LinearConfig::new(d, 1).init(device),
        }
    }

    /// Checks that the sizes fit together.
    pub fn validate(&self) -> Result<(), String> {
        if self.heads == 0 || !self.d_model.is_multiple_of(self.heads) {
            return Err(format!(
                "d_model {} must be a multiple of heads {}",
                self.d_model, self.heads
            ));
        }
        if self.max_len == 0 || self.layers == 0 {
            return Err("max_len and layers must be at least 1".into());
        }
        Ok(())
    }
}

impl TokenClassifier {
    /// Keep logits [batch, length] (padding positions: a large negative value).
    pub fn forward(&self, batch: &Batch) -> Tensor<2> {
        let x = self.embed.forward(batch.ids.clone()) * 0.1
            + self.position.forward(batch.positions.clone()) * 0.1
            + self.shape.forward(batch.features.clone());
        let x = self
            .encoder
            .forward(TransformerEncoderInput::new(x).mask_pad(batch.pad.clone()));
        let logits: Tensor<2> = self.head.forward(x).squeeze_dim(2);
        logits.mask_fill(batch.pad.clone(), -1e4)
    }

    /// Keep probabilities of every token of `tokens` (pieces of `max_len` tokens).
    pub fn keep_probabilities(&self, config: &TokenClassifierConfig, tokens: &[&str]) -> Vec<f64> {
        let device = crate::models::device_of(self);
        let mut out = Vec::with_capacity(tokens.len());
        for piece in tokens.chunks(config.max_len.max(1)) {
            let encoded = encode(piece, config.buckets);
            let logits = self.forward(&batch(&[&encoded], &device));
            let values: Vec<f32> = burn::tensor::activation::sigmoid(logits)
                .into_data()
                .try_to_vec()
                .unwrap_or_default();
            out.extend(values.iter().take(piece.len()).map(|&p| f64::from(p)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_hashes_words_and_marks_shapes() {
        let _alone = crate::models::draws_alone();
        let e = encode(&["The", "NFL", "2015", "season.", "--", "Denver"], 100);
        assert_eq!(e.ids.len(), 6);
        assert_eq!(e.ids[4], 1, "no letters or digits");
        assert!(e
            .ids
            .iter()
            .enumerate()
            .all(|(i, &id)| i == 4 || (2..100).contains(&id)));
        assert_eq!(encode(&["the"], 100).ids[0], e.ids[0], "case-insensitive");
        assert_eq!(e.features[0], [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(e.features[1], [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(e.features[2], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
        assert_eq!(e.features[3], [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
        assert_eq!(e.features[4][3], 1.0);
        assert_eq!(e.features[5][5], 0.0, "after '--', not a sentence start");
    }

    #[test]
    fn probabilities_cover_long_texts_in_pieces_and_ignore_padding() {
        let _alone = crate::models::draws_alone();
        let config = TokenClassifierConfig::new(8, 2)
            .with_max_len(4)
            .with_buckets(50);
        let device = crate::models::device::cpu();
        let model = crate::models::seeded(&device, 1, |d| config.init(d));
        let words: Vec<&str> = "a b c d e f g h i j".split(' ').collect();
        let p = model.keep_probabilities(&config, &words);
        assert_eq!(p.len(), 10);
        assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
        // A sequence scores the same alone and padded beside a longer one.
        let short = encode(&words[..2], 50);
        let long = encode(&words[..4], 50);
        let alone: Vec<f32> = model
            .forward(&batch(&[&short], &device))
            .into_data()
            .try_to_vec()
            .unwrap();
        let padded: Vec<f32> = model
            .forward(&batch(&[&short, &long], &device))
            .into_data()
            .try_to_vec()
            .unwrap();
        for j in 0..2 {
            assert!((alone[j] - padded[j]).abs() < 1e-4, "{alone:?} {padded:?}");
        }
    }
}
