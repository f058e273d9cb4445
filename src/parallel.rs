//! Per-environment work spread over all cores. A single item runs on the
//! calling thread: starting rayon's pool costs more than rendering one
//! environment, and `--env X` is the common (watch, pre-commit) case.

use rayon::prelude::*;

/// `items.map(f)` in order, in parallel when there is more than one item.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() > 1 { items.par_iter().map(f).collect() } else { items.iter().map(f).collect() }
}
