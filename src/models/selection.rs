//! Keeping the best-scored fraction of a sequence: how many items a ratio keeps, and which.
//! Shared by the token-selection compressors (`prompt`) and the token classifier's evaluation.

/// How many of `total` tokens a ratio keeps: the nearest count, at least one of a non-empty
/// text, at most all.
pub fn budget(total: usize, ratio: f64) -> usize {
    if total == 0 {
        return 0;
    }
    ((ratio * total as f64).round() as usize).clamp(1, total)
}

/// Indices of the `k` best-scored tokens (ties: the earlier first), best first.
pub fn top(scores: &[f64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order.truncate(k);
    order
}
