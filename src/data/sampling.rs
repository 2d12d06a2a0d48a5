//! Seeded, machine-independent permutations and samples: article splits, question samples,
//! response samples, training shuffles and the statistics' resampling all draw from here.

/// A seeded permutation of 0..n (the same on every machine).
pub fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut keys: Vec<(u64, usize)> = (0..n).map(|i| (mix(seed, i as u64), i)).collect();
    keys.sort_unstable();
    keys.into_iter().map(|(_, i)| i).collect()
}

/// A seeded sample of `n` items, kept in their original order.
pub fn sample<T>(items: Vec<T>, n: usize, seed: u64) -> Vec<T> {
    if n >= items.len() {
        return items;
    }
    let mut keep = vec![false; items.len()];
    for i in permutation(items.len(), seed).into_iter().take(n) {
        keep[i] = true;
    }
    items
        .into_iter()
        .zip(keep)
        .filter_map(|(t, k)| k.then_some(t))
        .collect()
}

/// The golden-ratio increment of SplitMix64.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// A seed derived from `seed` for the `i`-th draw (SplitMix64 of the two).
pub fn mix(seed: u64, i: u64) -> u64 {
    finalize(seed ^ i.wrapping_mul(GOLDEN))
}

/// SplitMix64's output function.
fn finalize(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A seeded stream of random numbers (SplitMix64) for draws that are not a single
/// permutation: bootstrap resamples, sign flips, repeated shuffles.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        finalize(self.0)
    }

    /// A uniform index below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_seeded_ordered_and_sized() {
        let items: Vec<usize> = (0..100).collect();
        let a = sample(items.clone(), 10, 7);
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "input order kept");
        assert_eq!(a, sample(items.clone(), 10, 7));
        assert_ne!(a, sample(items.clone(), 10, 8));
        assert_eq!(sample(items.clone(), 500, 1), items);
        let mut p = permutation(50, 3);
        p.sort_unstable();
        assert_eq!(p, (0..50).collect::<Vec<_>>());
    }
}
