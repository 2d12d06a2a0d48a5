//! The extractive reader: embeddings trained from scratch, question-aware attention from every
//! context token to the question, an exact-match feature, residual 1-D convolutions over the
//! context, and start / end pointer heads. Model code names no backend: tensors carry their
//! device.

use burn::config::Config;
use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Linear, LinearConfig, PaddingConfig1d,
};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Bool, Device, Int, Tensor};

/// Reader hyperparameters.
#[derive(Config, Debug)]
pub struct ReaderConfig {
    /// Vocabulary size of the tokenizer.
    pub vocab: usize,
    /// Width of every layer (its default is the qa-reader task's).
    pub d_model: usize,
    /// Residual convolution blocks.
    pub conv_layers: usize,
    /// Convolution kernel width.
    #[config(default = 5)]
    pub kernel: usize,
    /// Longest context, in tokens (size of the position embedding).
    pub max_context: usize,
    /// Dropout probability (on the embeddings and before the pointer heads) during training.
    pub dropout: f64,
}

/// The reader.
#[derive(Module, Debug)]
pub struct Reader {
    embed: Embedding,
    position: Embedding,
    project_context: Linear,
    project_question: Linear,
    fuse: Linear,
    convs: Vec<Conv1d>,
    start: Linear,
    end: Linear,
    dropout: Dropout,
}

/// A padded batch.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Context ids [batch, length].
    pub context: Tensor<2, Int>,
    /// True at padding [batch, length].
    pub context_pad: Tensor<2, Bool>,
    /// Exact-match feature [batch, length, 1].
    pub exact_match: Tensor<3>,
    /// Question ids [batch, q].
    pub question: Tensor<2, Int>,
    /// True at padding [batch, q].
    pub question_pad: Tensor<2, Bool>,
    /// Positions [batch, length].
    pub positions: Tensor<2, Int>,
}

impl ReaderConfig {
    /// Builds a freshly initialised reader on `device`.
    pub fn init(&self, device: &Device) -> Reader {
        let d = self.d_model;
        Reader {
            embed: EmbeddingConfig::new(self.vocab, d).init(device),
            position: EmbeddingConfig::new(self.max_context, d).init(device),
            project_context: LinearConfig::new(d, d).init(device),
            project_question: LinearConfig::new(d, d).init(device),
            fuse: LinearConfig::new(3 * d + 1, d).init(device),
            convs: (0..self.conv_layers)
                .map(|_| {
                    Conv1dConfig::new(d, d, self.kernel)
                        .with_padding(PaddingConfig1d::Same)
                        .init(device)
                })
                .collect(),
            start: LinearConfig::new(d, 1).init(device),
            end: LinearConfig::new(d, 1).init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

impl Reader {
    /// Start and end logits [batch, length]; padding positions get a large negative value.
    pub fn forward(&self, batch: &Batch) -> (Tensor<2>, Tensor<2>) {
        let [b, l] = batch.context.dims();
        let d = self.embed.weight.dims()[1];
        let c = self.dropout.forward(
            self.embed.forward(batch.context.clone()) * 0.1
                + self.position.forward(batch.positions.clone()) * 0.1,
        );
        let q = self
            .dropout
            .forward(self.embed.forward(batch.question.clone()) * 0.1);
        let ch = relu(self.project_context.forward(c.clone()));
        let qh = relu(self.project_question.forward(q));
        // Attention of each context token over the question tokens.
        let scores = ch.matmul(qh.clone().swap_dims(1, 2)) / (d as f64).sqrt();
        let [_, _, qlen] = scores.dims();
        let qmask = batch
            .question_pad
            .clone()
            .unsqueeze_dim::<3>(1)
            .expand([b, l, qlen]);
        let attention = softmax(scores.mask_fill(qmask, -1e4), 2);
        let attended = attention.matmul(qh);
        let fused = Tensor::cat(
            vec![
                c.clone(),
                attended.clone(),
                c * attended,
                batch.exact_match.clone(),
            ],
            2,
        );
        let mut x = relu(self.fuse.forward(fused));
        for conv in &self.convs {
            let y = relu(conv.forward(x.clone().swap_dims(1, 2)).swap_dims(1, 2));
            x = x + y;
        }
        // Dropout on the inputs and before the heads only: each mask costs a random tensor.
        let x = self.dropout.forward(x);
        let start = self.start.forward(x.clone());
        let end = self.end.forward(x);
        let start: Tensor<2> = start.squeeze_dim(2);
        let end: Tensor<2> = end.squeeze_dim(2);
        (
            start.mask_fill(batch.context_pad.clone(), -1e4),
            end.mask_fill(batch.context_pad.clone(), -1e4),
        )
    }
}
