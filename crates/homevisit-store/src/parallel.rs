//! Spreading CPU-bound work (building Automerge documents) over the machine's cores.

use std::sync::OnceLock;

/// The machine's cores (what [`crate::received_whole`] works ahead on is one fewer), asked once:
/// `available_parallelism` reads the cgroup files on every call (an `open` and a `read` each),
/// which cost more than a small batch's work.
pub(crate) fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Applies `f` to every item on up to `available_parallelism` threads and returns the results in
/// order; the first error wins.
pub(crate) fn map<T: Sync, R: Send, E: Send>(items: &[T], f: impl Fn(&T) -> Result<R, E> + Sync) -> Result<Vec<R>, E> {
    map_each(items, 64, f).into_iter().collect()
}

/// Applies `f` to every item, in order, on up to `available_parallelism` threads, each given at
/// least `min_per_thread` items (a thread costs tens of microseconds to start).
fn map_each<T: Sync, R: Send>(items: &[T], min_per_thread: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = cores().min(items.len().div_ceil(min_per_thread)).max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut parts = items.chunks(chunk);
    // The first part is this thread's own: one thread fewer to start.
    let own = parts.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts.map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>())).collect();
        let mut out: Vec<R> = own.iter().map(&f).collect();
        out.reserve(items.len() - out.len());
        for h in handles {
            out.extend(h.join().expect("worker thread panicked"));
        }
        out
    })
}

/// Drops `value` on a thread of its own when the machine has a spare core (freeing hundreds of
/// loaded documents takes milliseconds the caller, a store's writer, need not wait for); here
/// otherwise, or if no thread can be started.
pub(crate) fn drop_beside<T: Send + 'static>(value: T) {
    if cores() < 2 {
        return drop(value);
    }
    // A thread that cannot start drops its closure, and `value` with it, here.
    let _ = std::thread::Builder::new().name("drop-beside".into()).spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_reports_errors() {
        let items: Vec<u32> = (0..1000).collect();
        assert_eq!(
            super::map(&items, |i| Ok::<_, ()>(i * 2)).unwrap(),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        assert_eq!(super::map(&items, |i| if *i == 700 { Err(*i) } else { Ok(*i) }), Err(700));
    }
}
