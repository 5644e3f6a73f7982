//! Rate-limited log lines, for what a hostile device can cause at will (a crafted document that
//! makes Automerge panic, a malformed request, a failing bookkeeping write): the first line of a
//! kind is written, then at most one per interval, carrying how many were suppressed since the
//! last one. A device cannot flood the log, and the log still says that it happened and how often.
//!
//! ```ignore
//! static PANICS: LogLimit = LogLimit::new(Duration::from_secs(10));
//! if let Some(suppressed) = PANICS.admit() {
//!     tracing::warn!(suppressed, "a panic was contained");
//! }
//! ```
//!
//! Lines written through it carry ids and counts only, like every other line of the relay.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One kind of log line and when it may be written again. Usually a `static`; `const`-constructible.
pub struct LogLimit {
    every: Duration,
    state: Mutex<State>,
}

struct State {
    /// When the last line was written (`None`: never).
    last: Option<Instant>,
    /// Lines not written since then.
    suppressed: u64,
}

impl LogLimit {
    /// At most one line per `every`.
    pub const fn new(every: Duration) -> Self {
        Self { every, state: Mutex::new(State { last: None, suppressed: 0 }) }
    }

    /// Whether a line may be written now: `Some(n)` with the number of lines suppressed since the
    /// last one written (write it, with `n`), or `None` (suppressed; counted).
    pub fn admit(&self) -> Option<u64> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Option<u64> {
        // Never panics, even in a panic hook: a poisoned lock only means a panic elsewhere while
        // it was held, and the state is two plain numbers.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match state.last {
            Some(last) if now.saturating_duration_since(last) < self.every => {
                state.suppressed = state.suppressed.saturating_add(1);
                None
            }
            _ => {
                state.last = Some(now);
                Some(std::mem::take(&mut state.suppressed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_then_one_per_interval_with_the_count_suppressed() {
        let limit = LogLimit::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(limit.admit_at(t0), Some(0));
        for i in 1..=1000 {
            assert_eq!(limit.admit_at(t0 + Duration::from_millis(i)), None);
        }
        assert_eq!(limit.admit_at(t0 + Duration::from_secs(10)), Some(1000));
        assert_eq!(limit.admit_at(t0 + Duration::from_secs(11)), None);
        assert_eq!(limit.admit_at(t0 + Duration::from_secs(25)), Some(1));
        // A clock read out of order (another thread's earlier instant) is not an interval passed.
        assert_eq!(limit.admit_at(t0), None);
    }
}
