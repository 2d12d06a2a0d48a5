//! The decoder's side of a compressed memory. With `decoder = "frozen"` the teacher reads the
//! M memory vectors as they are. With `decoder = "unpack"` a small adapter, trained with the
//! compressor (the teacher itself stays frozen), gives each memory vector k = ⌈L/M⌉ slots:
//! k learned linear maps of the vector that the decoder reads as k states. The memory is still
//! M vectors of d numbers (the information passed is the same), but one vector can now hold
//! several tokens in different directions and the decoder can take them apart again, which its
//! pointed read of single states cannot do (COCOM: tuning the decoder is critical). The decoder
//! then attends over M·k positions, so this saves no attention compute; it is reported as its own
//! axis.

use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Bool, Device, Tensor, TensorData};

use super::compressor::{tokens_per_vector, Architecture, Compressor, CompressorConfig};
use super::principal::Principal;

/// Spread of the slot maps around their start (relative to a state's size), so that no two
/// slots are ever the same map.
const SLOT_NOISE: f64 = 0.1;

/// What the frozen teacher's decoder reads of a memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecoderSide {
    /// The M memory vectors themselves.
    Frozen,
    /// k trained slots per memory vector ([`Unpack`]).
    Unpack,
}

/// k slot maps of each memory vector.
#[derive(Module, Debug)]
pub struct Unpack {
    map: Linear,
    slots: usize,
}

impl Unpack {
    /// `slots` maps of width `d`, plus seeded noise. `interleaved` (a compressor that starts
    /// as an interleaving, `conv`): slot s starts reading the channels c ≡ s (mod k) of its
    /// vector, scaled by √k, the inverse of that interleaving (√k keeps a slot as long as a
    /// state, as the decoder's attention expects; k, the unbiased scale of its dot products,
    /// made the frozen decoder confidently wrong: answer cross-entropy 15 against 7 in a probe
    /// at k = 8). Otherwise every slot starts as the identity: a copy of its vector.
    pub fn new(d: usize, slots: usize, interleaved: bool, device: &Device) -> Unpack {
        let mut map = LinearConfig::new(d, slots * d)
            .with_bias(false)
            .with_initializer(Initializer::Normal {
                mean: 0.0,
                std: SLOT_NOISE / (d as f64).sqrt(),
            })
            .init(device);
        let k = (slots as f32).sqrt();
        let weight = move |c: usize, s: usize| match interleaved {
            true if c % slots == s => k,
            true => 0.0,
            false => 1.0,
        };
        let start = slot_map(
            d,
            slots,
            device,
            |c, s, o| {
                if o == c {
                    weight(c, s)
                } else {
                    0.0
                }
            },
        );
        map.weight = Param::from_tensor((map.weight.val() + start).detach());
        Unpack { map, slots }
    }

    /// Memory [batch, M, d] as the decoder reads it: [batch, M·k, d], slot s of vector j at
    /// position j·k + s.
    pub fn forward(&self, memory: Tensor<3>) -> Tensor<3> {
        let [b, m, d] = memory.dims();
        self.map.forward(memory).reshape([b, m * self.slots, d])
    }
}

/// The weight [d, slots·d] of a map whose entry from input channel c to channel o of slot s
/// is `entry(c, s, o)`.
fn slot_map(
    d: usize,
    slots: usize,
    device: &Device,
    entry: impl Fn(usize, usize, usize) -> f32,
) -> Tensor<2> {
    let w: Vec<f32> = (0..d)
        .flat_map(|c| (0..slots).flat_map(move |s| (0..d).map(move |o| (c, s, o))))
        .map(|(c, s, o)| entry(c, s, o))
        .collect();
    Tensor::from_data(TensorData::new(w, [d, slots * d]), device)
}

/// A trained compressor and, with `decoder = "unpack"`, its decoder-side adapter.
#[derive(Module, Debug)]
pub struct SoftCompressor {
    /// Encoder states to M memory vectors.
    pub compressor: Compressor,
    /// The slots the decoder reads (None: the memory itself).
    pub unpack: Option<Unpack>,
}

impl SoftCompressor {
    /// A fresh compressor of `architecture` on `device`, with its slots if `config.unpack`.
    pub fn init(
        config: &CompressorConfig,
        architecture: Architecture,
        device: &Device,
    ) -> SoftCompressor {
        let slots = tokens_per_vector(config.max_context, config.target_length);
        SoftCompressor {
            compressor: config.init(architecture, device),
            unpack: config.unpack.then(|| {
                let interleaved = architecture == Architecture::Conv;
                Unpack::new(config.d_model, slots, interleaved, device)
            }),
        }
    }

    /// The M memory vectors [batch, M, d] of states `h` (see [`Compressor::forward`]).
    pub fn forward(&self, h: Tensor<3>, pad: Tensor<2, Bool>, lengths: &[usize]) -> Tensor<3> {
        self.compressor.forward(h, pad, lengths)
    }

    /// This compressor started from `principal` (a fresh `conv` with `principal` and slots;
    /// anything else is returned as it is): channel c of a state's projection is its
    /// coordinate along direction ⌊c / k⌋, and slot s maps the channels c ≡ s (mod k) back
    /// along those directions, so a fresh compressor hands the decoder each state projected
    /// onto its first ⌈d / k⌉ principal directions.
    pub fn with_principal(mut self, principal: &Principal, device: &Device) -> SoftCompressor {
        let (Compressor::Conv(conv), Some(unpack)) = (&mut self.compressor, &mut self.unpack)
        else {
            return self;
        };
        let Some(project) = &mut conv.project else {
            return self;
        };
        let (d, k) = (principal.vectors.len(), unpack.slots);
        let u = |direction: usize, channel: usize| principal.vectors[direction][channel] as f32;
        // One slot of width d: input channel i to output channel c.
        let forward = slot_map(d, 1, device, |i, _, c| u(c / k, i));
        project.weight = Param::from_tensor(forward);
        let back = slot_map(
            d,
            k,
            device,
            |c, s, o| {
                if c % k == s {
                    u(c / k, o)
                } else {
                    0.0
                }
            },
        );
        unpack.map.weight = Param::from_tensor(back);
        self
    }

    /// True at the memory vectors the decoder must not read [batch, M] (`select`: the vectors
    /// beyond a context shorter than M), None when every vector is memory.
    pub fn memory_pad(&self, lengths: &[usize], device: &Device) -> Option<Tensor<2, Bool>> {
        match &self.compressor {
            Compressor::Select(select) => Some(select.padding(lengths, device)),
            _ => None,
        }
    }

    /// What the decoder reads of `memory`.
    pub fn readable(&self, memory: Tensor<3>) -> Tensor<3> {
        match &self.unpack {
            Some(unpack) => unpack.forward(memory),
            None => memory,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_principal_conv_gives_back_states_that_lie_in_its_first_directions() {
        let _alone = crate::models::draws_alone();
        let device = crate::models::device::cpu();
        let (d, m, l) = (16, 3, 12);
        let k = tokens_per_vector(l, m);
        // States in a 3-dimensional subspace: d / k = 4 coordinates keep every one exactly.
        let basis: Vec<Vec<f32>> = (0..3)
            .map(|b| {
                (0..d)
                    .map(|c| ((c * (b + 2) + b) % 7) as f32 - 3.0)
                    .collect()
            })
            .collect();
        let h: Vec<f32> = (0..l)
            .flat_map(|p| {
                let basis = &basis;
                (0..d).map(move |c| (0..3).map(|b| ((p + b) as f32).sin() * basis[b][c]).sum())
            })
            .collect();
        let states = Tensor::<3>::from_data(TensorData::new(h.clone(), [1, l, d]), &device);
        let principal = Principal::of_states(&[states.clone().reshape([l, d])]);
        let config = CompressorConfig::new(d, m, l)
            .with_heads(2)
            .with_unpack(true)
            .with_principal(true);
        let model = SoftCompressor::init(&config, Architecture::Conv, &device)
            .with_principal(&principal, &device);
        let pad = Tensor::<2, Bool>::from_data(TensorData::new(vec![false; l], [1, l]), &device);
        let read = model.readable(model.forward(states, pad, &[l]));
        assert_eq!(read.dims(), [1, m * k, d]);
        let got = read.into_data().try_to_vec::<f32>().unwrap();
        let gap = got
            .iter()
            .zip(&h)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        let size = h.iter().map(|a| a.abs()).fold(0.0, f32::max);
        assert!(
            gap < 1e-4 * size,
            "largest difference {gap} (states up to {size})"
        );
    }

    #[test]
    fn a_fresh_conv_with_slots_gives_each_state_back_in_its_channels() {
        let _alone = crate::models::draws_alone();
        let device = crate::models::device::cpu();
        assert_eq!(tokens_per_vector(512, 128), 4);
        assert_eq!(tokens_per_vector(512, 100), 6);
        let (d, m, l) = (16, 3, 12);
        let k = tokens_per_vector(l, m);
        let config = CompressorConfig::new(d, m, l)
            .with_heads(2)
            .with_unpack(true);
        let model = SoftCompressor::init(&config, Architecture::Conv, &device);
        let h: Vec<f32> = (0..l * d).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
        let states = Tensor::<3>::from_data(TensorData::new(h.clone(), [1, l, d]), &device);
        let pad = Tensor::<2, Bool>::from_data(TensorData::new(vec![false; l], [1, l]), &device);
        let memory = model.forward(states, pad, &[l]);
        assert_eq!(memory.dims(), [1, m, d]);
        let read = model.readable(memory);
        assert_eq!(read.dims(), [1, m * k, d]);
        let got = read.into_data().try_to_vec::<f32>().unwrap();
        let norm = |x: &[f32]| x.iter().map(|a| a * a).sum::<f32>().sqrt();
        for p in 0..l {
            // Slot p mod k of vector p / k is state p, kept in its channels and scaled by √k.
            let scale = (k as f32).sqrt();
            let want: Vec<f32> = (0..d)
                .map(|c| {
                    if c % k == p % k {
                        scale * h[p * d + c]
                    } else {
                        0.0
                    }
                })
                .collect();
            let slot = &got[p * d..(p + 1) * d];
            let diff: Vec<f32> = slot.iter().zip(&want).map(|(a, b)| a - b).collect();
            assert!(
                norm(&diff) < 0.3 * norm(&want),
                "state {p}: {slot:?} vs {want:?}"
            );
        }
    }
}
