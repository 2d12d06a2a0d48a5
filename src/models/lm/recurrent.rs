//! GRU and LSTM language models with fused gates: the input projection of the first layer is
//! an embedding row per symbol (a one-hot input times a weight matrix), each step costs one
//! matrix product per layer for the hidden state, and a sequence collects its outputs once.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Int, Tensor};

use super::config::LmConfig;
use super::symbols::symbols_tensor;

/// Which recurrent cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// GRU: reset, update and candidate gates.
    Gru,
    /// LSTM: input, forget, cell and output gates.
    Lstm,
}

/// One recurrent layer: input and hidden projections to all gates at once.
#[derive(Module, Debug)]
pub struct Layer {
    input: Option<Linear>,
    hidden: Linear,
}

/// A stacked GRU or LSTM with an output head.
#[derive(Module, Debug)]
pub struct RecurrentLm {
    embed: Embedding,
    layers: Vec<Layer>,
    head: Linear,
    gates: usize,
    width: usize,
}

/// Per layer: hidden state, and the cell state for LSTMs ([batch, hidden] each).
#[derive(Debug, Clone)]
pub struct RecurrentState {
    /// Hidden states.
    pub hidden: Vec<Tensor<2>>,
    /// Cell states (empty for GRUs).
    pub cell: Vec<Tensor<2>>,
}

/// A recurrent state as plain numbers, for a checkpoint: a pretraining resumed mid-stream
/// carries on from the exact state an uninterrupted one would have.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedState {
    /// Per layer: shape and values of the hidden state.
    pub hidden: Vec<([usize; 2], Vec<f32>)>,
    /// Per layer: shape and values of the cell state (empty for GRUs).
    pub cell: Vec<([usize; 2], Vec<f32>)>,
}

fn save_tensor(t: &Tensor<2>) -> ([usize; 2], Vec<f32>) {
    let values = t
        .clone()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap_or_default();
    (t.dims(), values)
}

fn load_tensor((shape, values): &([usize; 2], Vec<f32>), device: &Device) -> Tensor<2> {
    Tensor::from_data(
        burn::tensor::TensorData::new(values.clone(), *shape),
        device,
    )
}

impl RecurrentState {
    /// The state's numbers.
    pub fn save(&self) -> SavedState {
        SavedState {
            hidden: self.hidden.iter().map(save_tensor).collect(),
            cell: self.cell.iter().map(save_tensor).collect(),
        }
    }

    /// A saved state on `device`.
    pub fn load(saved: &SavedState, device: &Device) -> RecurrentState {
        RecurrentState {
            hidden: saved
                .hidden
                .iter()
                .map(|t| load_tensor(t, device))
                .collect(),
            cell: saved.cell.iter().map(|t| load_tensor(t, device)).collect(),
        }
    }

    /// The same state cut from the autodiff graph (truncated backpropagation).
    pub fn detach(self) -> RecurrentState {
        RecurrentState {
            hidden: self.hidden.into_iter().map(|t| t.detach()).collect(),
            cell: self.cell.into_iter().map(|t| t.detach()).collect(),
        }
    }
}

impl RecurrentLm {
    /// A fresh model.
    pub fn new(cell: Cell, config: &LmConfig, device: &Device) -> RecurrentLm {
        let h = config.hidden;
        let gates = match cell {
            Cell::Gru => 3,
            Cell::Lstm => 4,
        };
        RecurrentLm {
            embed: EmbeddingConfig::new(config.vocab + 1, gates * h).init(device),
            layers: (0..config.layers)
                .map(|l| Layer {
                    input: (l > 0).then(|| LinearConfig::new(h, gates * h).init(device)),
                    hidden: LinearConfig::new(h, gates * h).init(device),
                })
                .collect(),
            head: LinearConfig::new(h, config.vocab).init(device),
            gates,
            width: h,
        }
    }

    /// Symbols it predicts.
    pub fn vocab(&self) -> usize {
        self.head.weight.dims()[1]
    }

    /// Zero state for `batch` streams.
    pub fn start(&self, batch: usize, device: &Device) -> RecurrentState {
        let zeros = || Tensor::<2>::zeros([batch, self.width], device);
        RecurrentState {
            hidden: self.layers.iter().map(|_| zeros()).collect(),
            cell: if self.gates == 4 {
                self.layers.iter().map(|_| zeros()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// One cell update from gate pre-activations of the input `x` [batch, gates·hidden].
    fn cell(
        &self,
        layer: &Layer,
        x: Tensor<2>,
        h: Tensor<2>,
        c: Option<Tensor<2>>,
    ) -> (Tensor<2>, Option<Tensor<2>>) {
        let hp = layer.hidden.forward(h.clone());
        if self.gates == 3 {
            let xs = x.chunk(3, 1);
            let hs = hp.chunk(3, 1);
            let r = sigmoid(xs[0].clone() + hs[0].clone());
            let z = sigmoid(xs[1].clone() + hs[1].clone());
            let n = (xs[2].clone() + r * hs[2].clone()).tanh();
            let h = n.clone() + z * (h - n);
            (h, None)
        } else {
            let g = (x + hp).chunk(4, 1);
            let i = sigmoid(g[0].clone());
            let f = sigmoid(g[1].clone());
            let cand = g[2].clone().tanh();
            let o = sigmoid(g[3].clone());
            let c = f * c.expect("LSTM state has cells") + i * cand;
            let h = o * c.clone().tanh();
            (h, Some(c))
        }
    }

    /// One step for every stream.
    pub fn step(
        &self,
        inputs: &[usize],
        state: RecurrentState,
        device: &Device,
    ) -> (Tensor<2>, RecurrentState) {
        let x: Tensor<3> = self.embed.forward(symbols_tensor(inputs, device));
        let mut x: Tensor<2> = x.squeeze_dim(1);
        let mut cells = state.cell.into_iter();
        let mut next = RecurrentState {
            hidden: Vec::with_capacity(self.layers.len()),
            cell: Vec::new(),
        };
        for (layer, h) in self.layers.iter().zip(state.hidden) {
            let pre = match &layer.input {
                Some(input) => input.forward(x),
                None => x,
            };
            let (h, c) = self.cell(layer, pre, h, cells.next());
            next.hidden.push(h.clone());
            next.cell.extend(c);
            x = h;
        }
        (self.head.forward(x), next)
    }

    /// Logits for a sequence [batch, time] → [batch, time, vocab] and the final state.
    pub fn forward(
        &self,
        inputs: Tensor<2, Int>,
        state: Option<RecurrentState>,
    ) -> (Tensor<3>, RecurrentState) {
        let [batch, time] = inputs.dims();
        let device = inputs.device();
        let state = state.unwrap_or_else(|| self.start(batch, &device));
        let mut x: Tensor<3> = self.embed.forward(inputs);
        let mut cells = state.cell.into_iter();
        let mut next = RecurrentState {
            hidden: Vec::new(),
            cell: Vec::new(),
        };
        for (layer, mut h) in self.layers.iter().zip(state.hidden) {
            let pre = match &layer.input {
                Some(input) => input.forward(x),
                None => x,
            };
            let mut c = cells.next();
            let mut outputs = Vec::with_capacity(time);
            for t in 0..time {
                let xt: Tensor<2> = pre.clone().narrow(1, t, 1).squeeze_dim(1);
                let (h2, c2) = self.cell(layer, xt, h, c);
                h = h2;
                c = c2;
                outputs.push(h.clone());
            }
            next.hidden.push(h);
            next.cell.extend(c);
            x = Tensor::stack(outputs, 1);
        }
        (self.head.forward(x), next)
    }
}
