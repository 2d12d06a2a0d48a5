//! The context mixer: every model's prediction of the next bit, mixed by four gates whose
//! outputs a second small mixer combines, then refined by three adaptive probability maps. The count tables, the mixer and the maps are shared by all
//! streams (they advance in a fixed order, so the decoder repeats it); each stream keeps its
//! own history and contexts.

use super::apm::Apm;
use super::config::{match_bits, MixingConfig};
use super::contexts::{combine, DirectTable, HashedTable};
use super::counter;
use super::counter_map::CounterMap;
use super::logistic::{squash, stretch};
use super::match_model::MatchModel;
use super::mixer::Mixer;
use super::stream::StreamContext;

/// Inputs besides the hashed models: orders 0 and 1, the match model, the network, a bias.
const OTHER_INPUTS: usize = 5;
/// The gates of the first layer: by the byte's bits so far, by match length, by how many
/// hashed contexts have been seen before, by the previous byte.
const GATES: usize = 4;

/// The shared models and the streams' contexts.
#[derive(Debug, Clone)]
pub struct ContextMixer {
    config: MixingConfig,
    order0: DirectTable,
    order1: DirectTable,
    hashed: Vec<HashedTable>,
    maps: CounterMap,
    mixer: Mixer,
    last: Mixer,
    apm_order0: Apm,
    apm_order1: Apm,
    apm_order2: Apm,
    streams: Vec<StreamContext>,
}

impl ContextMixer {
    /// Models for `streams` streams.
    pub fn new(config: &MixingConfig, streams: usize) -> anyhow::Result<ContextMixer> {
        let models = config.models();
        let inputs = 2 * models + OTHER_INPUTS;
        let limit = config.counter_limit;
        let matcher = || MatchModel::new(match_bits(streams), config.match_min);
        let gates = [256, 17 * 8, (models + 1) * 8, 256 * 8];
        Ok(ContextMixer {
            order0: DirectTable::new(256, 1023),
            order1: DirectTable::new(1 << 16, 1023),
            hashed: (0..models)
                .map(|_| HashedTable::new(config.table_bits, limit))
                .collect::<anyhow::Result<_>>()?,
            maps: CounterMap::new(models),
            mixer: Mixer::new(inputs, &gates, 65536 / 4, config.mixer_rate),
            last: Mixer::new(GATES, &[256], 65536 / GATES as i32, 8),
            apm_order0: Apm::new(256, 7),
            apm_order1: Apm::new(1 << 16, 7),
            apm_order2: Apm::new(1 << 16, 7),
            streams: (0..streams)
                .map(|_| Ok(StreamContext::new(models, matcher()?)))
                .collect::<anyhow::Result<_>>()?,
            config: config.clone(),
        })
    }

    /// The probability (of 65536) that the next bit of `stream` is 1, given the network's
    /// 12-bit probability of a 1 when it has one.
    pub fn predict(&mut self, stream: usize, network: Option<i32>) -> u32 {
        let s = &mut self.streams[stream];
        if s.nibble == 1 {
            let salt = if s.bits == 0 { 0 } else { s.c0 };
            for (b, (table, &h)) in s
                .buckets
                .iter_mut()
                .zip(self.hashed.iter_mut().zip(&s.hashes))
            {
                *b = table.bucket(combine(h, salt));
            }
        }
        let (c0, bits) = (s.c0 as usize, s.bits as usize);
        let m = &mut self.mixer;
        m.clear();
        m.add(stretch(counter::p12(self.order0.get(c0))));
        m.add(stretch(counter::p12(
            self.order1.get((s.c1() as usize) << 8 | c0),
        )));
        let mut known = 0;
        for (i, (table, &b)) in self.hashed.iter().zip(&s.buckets).enumerate() {
            let c = table.get(b, s.nibble);
            known += usize::from(counter::count(c) > 0);
            let stretched = stretch(counter::p12(c));
            m.add(stretched);
            m.add(self.maps.input(i, c, stretched, bits == 0));
        }
        let (input, length) = s.matcher.input(&s.history, s.c0, s.bits);
        m.add(input);
        m.add(network.map_or(0, stretch));
        m.add(256);
        let sets = [
            c0,
            length * 8 + bits,
            known * 8 + bits,
            (s.c1() as usize) * 8 + bits,
        ];
        self.last.clear();
        for (gate, set) in sets.into_iter().enumerate() {
            self.last.add(m.mix(gate, set));
        }
        let p = squash(self.last.mix(0, c0));
        let r0 = self.apm_order0.refine(p, c0);
        let r1 = self.apm_order1.refine(p, (s.c1() as usize) << 8 | c0);
        let r2 = self
            .apm_order2
            .refine(p, (combine(s.c2(), s.c1()) >> 24) as usize * 256 + c0);
        let p = (p + r0 + 3 * r1 + 3 * r2 + 4) >> 3;
        (p.clamp(1, 4095) as u32) << 4
    }

    /// Learns from the coded `bit` of `stream` and advances it.
    pub fn update(&mut self, stream: usize, bit: bool) {
        let s = &mut self.streams[stream];
        let c0 = s.c0 as usize;
        self.order0.update(c0, bit);
        self.order1.update((s.c1() as usize) << 8 | c0, bit);
        for (table, &b) in self.hashed.iter_mut().zip(&s.buckets) {
            table.update(b, s.nibble, bit);
        }
        self.maps.update(bit);
        s.matcher.update(&s.history, s.c0, s.bits, bit);
        self.mixer.update(bit);
        self.last.update(bit);
        self.apm_order0.update(bit);
        self.apm_order1.update(bit);
        self.apm_order2.update(bit);
        if s.advance(bit) {
            s.rehash(&self.config.orders, self.config.word);
        }
    }

    /// The configuration.
    pub fn config(&self) -> &MixingConfig {
        &self.config
    }
}

/// The network's 12-bit probability that the next bit is 1, from its distribution over the
/// next byte (`cumulative`: 257 running sums of it) and the byte's bits so far (`c0`, `bits`).
pub fn network_bit(cumulative: &[f64], c0: u32, bits: u32) -> i32 {
    let width = 1usize << (8 - bits);
    let lo = ((c0 as usize) - (1 << bits)) * width;
    let (all, ones) = (
        cumulative[lo + width] - cumulative[lo],
        cumulative[lo + width] - cumulative[lo + width / 2],
    );
    if all <= 0.0 {
        return 2048;
    }
    ((ones / all * 4096.0).round() as i32).clamp(1, 4095)
}
