//! Allocation that fails with an error instead of aborting.

/// `n` copies of `value`, or an error when the memory cannot be had (instead of an abort).
pub(crate) fn filled<T: Clone>(n: usize, value: T) -> anyhow::Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|e| {
        crate::error::environment(format!(
            "cannot allocate {n} table entries for context mixing: {e}"
        ))
    })?;
    v.resize(n, value);
    Ok(v)
}
