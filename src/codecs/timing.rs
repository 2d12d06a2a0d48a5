//! Timing that a reviewer accepts: a call shorter than the minimum measured time is repeated
//! in batches until the minimum is reached; the result is the median time per call over at
//! least five batches. A call longer than the minimum is timed once.

use std::time::{Duration, Instant};

/// How long to measure each operation.
#[derive(Debug, Clone, Copy)]
pub struct TimingPolicy {
    /// Total measured time to reach per operation.
    pub min_time: Duration,
    /// Least number of batches whose median is taken.
    pub min_batches: usize,
}

impl Default for TimingPolicy {
    fn default() -> Self {
        TimingPolicy {
            min_time: Duration::from_millis(10),
            min_batches: 5,
        }
    }
}

/// A timing: median seconds per call, and how many calls were measured.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Median seconds per call.
    pub seconds: f64,
    /// Calls measured (the first, unmeasured warm-up call excluded).
    pub calls: usize,
}

/// Times `f` under `policy`. The first call is a warm-up whose result is returned.
pub fn measure<T>(policy: TimingPolicy, mut f: impl FnMut() -> T) -> (T, Timing) {
    let start = Instant::now();
    let first = f();
    let once = start.elapsed();
    if once >= policy.min_time {
        return (
            first,
            Timing {
                seconds: once.as_secs_f64(),
                calls: 1,
            },
        );
    }
    let batch_target = policy.min_time.as_secs_f64() / policy.min_batches.max(1) as f64;
    let per_batch =
        ((batch_target / once.as_secs_f64().max(1e-9)).ceil() as usize).clamp(1, 1_000_000);
    let mut samples = Vec::new();
    let mut total = Duration::ZERO;
    while total < policy.min_time || samples.len() < policy.min_batches {
        let t = Instant::now();
        for _ in 0..per_batch {
            std::hint::black_box(f());
        }
        let e = t.elapsed();
        total += e;
        samples.push(e.as_secs_f64() / per_batch as f64);
    }
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    let median = if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        (samples[mid - 1] + samples[mid]) / 2.0
    };
    (
        first,
        Timing {
            seconds: median,
            calls: samples.len() * per_batch,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_calls_are_repeated_until_the_minimum() {
        let policy = TimingPolicy {
            min_time: Duration::from_millis(5),
            min_batches: 5,
        };
        let mut n = 0u64;
        let (_, t) = measure(policy, || {
            n += 1;
            std::hint::black_box(n)
        });
        assert!(t.calls >= 5, "{t:?}");
        assert!(n as usize == t.calls + 1);
        assert!(t.seconds < 1e-3);
    }
}
