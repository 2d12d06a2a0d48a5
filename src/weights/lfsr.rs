//! A 16-bit Fibonacci linear-feedback shift register with the primitive polynomial
//! x¹⁶ + x¹⁴ + x¹³ + x¹¹ + 1: from any non-zero state it visits all 65,535 non-zero states
//! before repeating (the test checks the period). SeedLM draws its random matrices from it.

/// Bits of the register.
pub const BITS: u32 = 16;

/// Non-zero states, i.e. usable seeds.
pub const PERIOD: usize = (1 << BITS) - 1;

/// The state after one step from `state`.
pub fn step(state: u16) -> u16 {
    let bit = (state ^ (state >> 2) ^ (state >> 3) ^ (state >> 5)) & 1;
    (state >> 1) | (bit << 15)
}

/// `count` values in [−1, 1) drawn from `seed`: each the register's state after 16 fresh
/// steps (so no two values share a bit), centred and scaled.
pub fn values(seed: u16, count: usize) -> Vec<f32> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            for _ in 0..BITS {
                state = step(state);
            }
            (f32::from(state) - 32768.0) / 32768.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_visits_every_non_zero_state_once_per_period() {
        let mut seen = vec![false; 1 << BITS];
        let mut state = 1u16;
        for i in 0..PERIOD {
            assert!(
                !seen[state as usize],
                "state {state} repeats after {i} steps"
            );
            seen[state as usize] = true;
            state = step(state);
        }
        assert_eq!(state, 1, "the period is not {PERIOD}");
        assert!(!seen[0]);
    }

    #[test]
    fn values_are_in_range_and_depend_on_the_seed() {
        let a = values(1, 24);
        let b = values(2, 24);
        assert!(a.iter().chain(&b).all(|v| (-1.0..1.0).contains(v)));
        assert_ne!(a, b);
        assert_eq!(a, values(1, 24));
    }
}
