//! Whether a larger or a smaller value of a metric is better, for bold "best" cells and Pareto
//! fronts. Report definitions can say it explicitly; otherwise the metric's name decides.

/// The better direction of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Larger is better (F1, accuracy, throughput, factor).
    Higher,
    /// Smaller is better (ratio, BPC, loss, time).
    Lower,
}

/// Guesses from the name: compression ratios, bits, losses, errors and times are better lower;
/// everything else (scores, throughput, factors) higher.
pub fn guess(metric: &str) -> Better {
    let m = metric.to_ascii_lowercase();
    let leaf = m.rsplit('.').next().unwrap_or(&m);
    let higher = [
        "f1",
        "em",
        "exact",
        "acc",
        "factor",
        "mb_s",
        "per_s",
        "speed",
        "throughput",
        "score",
        "kept",
    ];
    if higher.iter().any(|h| leaf.contains(h)) {
        return Better::Higher;
    }
    let lower = [
        "ratio",
        "bpc",
        "bits",
        "bpb",
        "loss",
        "error",
        "time",
        "_s",
        "seconds",
        "perplexity",
        "size",
        "bytes",
    ];
    if lower.iter().any(|l| leaf.contains(l)) {
        Better::Lower
    } else {
        Better::Higher
    }
}

/// Parses "higher" / "lower".
pub fn parse(text: &str) -> Option<Better> {
    match text {
        "higher" | "max" => Some(Better::Higher),
        "lower" | "min" => Some(Better::Lower),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide() {
        assert_eq!(guess("f1"), Better::Higher);
        assert_eq!(guess("ratio_mean"), Better::Lower);
        assert_eq!(guess("compression_mb_s"), Better::Higher);
        assert_eq!(guess("bits_per_byte"), Better::Lower);
        assert_eq!(guess("factor_mean"), Better::Higher);
        assert_eq!(
            guess("per_codec.gzip-9.compression_time_mean"),
            Better::Lower
        );
    }
}
