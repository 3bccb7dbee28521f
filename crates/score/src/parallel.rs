//! Deterministic data parallelism over `std::thread::scope`: results come back in input order.

use crate::limits::{CHUNK_ROWS, MAX_THREADS};
use std::ops::Range;

/// Threads to use: the machine's parallelism, capped.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
}

/// Applies `f` to every item, on several threads, and returns the results in the items' order.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = threads().min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    items.iter().enumerate().skip(w).step_by(workers).map(|(i, t)| (i, f(t))).collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            let done = handle.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload));
            for (i, r) in done {
                slots[i] = Some(r);
            }
        }
    });
    slots.into_iter().flatten().collect()
}

/// The fixed-size row chunks covering `0..rows`.
pub(crate) fn chunks(rows: usize) -> Vec<Range<usize>> {
    (0..rows.div_ceil(CHUNK_ROWS)).map(|c| c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(rows)).collect()
}
