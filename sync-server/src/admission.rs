//! How many sync requests the relay works on at once, and who waits: admission control.
//!
//! Without it, every request that arrives is worked on at once and all share the processor (and,
//! on PostgreSQL, its connections): in a morning rush each takes longer the more arrive, until
//! they pass the phones' request timeout, are sent again, and the same work is done twice. So a
//! request is worked on only while it holds one of a few permits; the others wait in order of
//! arrival (the semaphore is fair), a bounded number of them for a bounded time. One that would
//! wait longer, or find the line full, is answered `503 Service Unavailable` with `Retry-After`
//! before its body is read: nothing of it was done, and the phone sends it again after that
//! (`homevisit_sync::client`), so turning it away loses nothing and costs almost nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::RelayError;

/// Requests worked on at once by the embedded relay: its one SQLite connection does the work in
/// short transactions, so more at once only share it more finely (and each take longer).
pub const EMBEDDED_RUNNING: usize = 4;

/// Requests that may wait for a permit: beyond them a request is turned away at once.
pub const QUEUED: usize = 1024;

/// Longest a request waits for a permit: well under the phones' 60 s request timeout, so a
/// request is either worked on or turned away, never timed out after its work was done.
pub const MAX_WAIT: Duration = Duration::from_secs(20);

/// What the relay tells a request it turned away (`Retry-After`, seconds); the phone adds up to
/// as much again at random, so the turned-away do not all come back at once.
pub const RETRY_AFTER_SECS: u64 = 2;

/// The limits in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests worked on at once.
    pub running: usize,
    /// Requests that may wait for a permit.
    pub queued: usize,
    /// Longest one waits.
    pub max_wait: Duration,
}

impl Limits {
    /// The environment's settings (`HOMEVISIT_RELAY_RUNNING_SYNCS`, `HOMEVISIT_RELAY_QUEUED_SYNCS`),
    /// else the defaults: `running` for this storage, [`QUEUED`], [`MAX_WAIT`].
    pub fn from_env(running: usize) -> Result<Self, RelayError> {
        Ok(Limits {
            running: setting("HOMEVISIT_RELAY_RUNNING_SYNCS", running)?,
            queued: setting("HOMEVISIT_RELAY_QUEUED_SYNCS", QUEUED)?,
            max_wait: MAX_WAIT,
        })
    }
}

fn setting(name: &str, default: usize) -> Result<usize, RelayError> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| RelayError::Io(format!("{name} must be a whole number above 0"))),
        Err(_) => Ok(default),
    }
}

/// The permits and the line for them.
pub struct Admission {
    limits: Limits,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
}

/// A request was turned away: the relay is at its limits.
#[derive(Debug, PartialEq, Eq)]
pub struct Overloaded;

/// Held while a request is worked on.
pub struct Admitted(#[allow(dead_code)] OwnedSemaphorePermit);

/// Counts a waiting request while it waits, however the wait ends (a dropped request included).
struct InLine<'a>(&'a AtomicUsize);

impl Drop for InLine<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    pub fn new(limits: Limits) -> Self {
        Admission { limits, permits: Arc::new(Semaphore::new(limits.running)), waiting: AtomicUsize::new(0) }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A permit: at once if one is free and no one is waiting, else in turn, within the limits.
    pub async fn enter(&self) -> Result<Admitted, Overloaded> {
        if self.waiting.load(Ordering::SeqCst) == 0
            && let Ok(permit) = self.permits.clone().try_acquire_owned()
        {
            return Ok(Admitted(permit));
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.queued {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Overloaded);
        }
        let _in_line = InLine(&self.waiting);
        match tokio::time::timeout(self.limits.max_wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Admitted(permit)),
            _ => Err(Overloaded),
        }
    }

    /// Requests waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(running: usize, queued: usize, wait_ms: u64) -> Arc<Admission> {
        Arc::new(Admission::new(Limits { running, queued, max_wait: Duration::from_millis(wait_ms) }))
    }

    #[tokio::test]
    async fn permits_are_given_up_to_the_limit_then_in_order_of_arrival() {
        let a = admission(2, 10, 5_000);
        let first = a.enter().await.unwrap();
        let _second = a.enter().await.unwrap();
        let order = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let mut waiters = Vec::new();
        for i in 0..3 {
            let (admission, order) = (a.clone(), order.clone());
            waiters.push(tokio::spawn(async move {
                let permit = admission.enter().await.unwrap();
                order.lock().push(i);
                tokio::time::sleep(Duration::from_millis(5)).await;
                drop(permit);
            }));
            // Each in line before the next arrives.
            while a.waiting() < i + 1 {
                tokio::task::yield_now().await;
            }
        }
        assert_eq!(a.waiting(), 3);
        drop(first);
        for w in waiters {
            w.await.unwrap();
        }
        assert_eq!(*order.lock(), vec![0, 1, 2], "first come, first served");
        assert_eq!(a.waiting(), 0);
    }

    #[tokio::test]
    async fn a_full_line_turns_a_request_away_at_once() {
        let a = admission(1, 1, 5_000);
        let _held = a.enter().await.unwrap();
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.enter().await.map(drop) })
        };
        while a.waiting() < 1 {
            tokio::task::yield_now().await;
        }
        let started = std::time::Instant::now();
        assert_eq!(a.enter().await.err(), Some(Overloaded));
        assert!(started.elapsed() < Duration::from_secs(1), "turned away without waiting");
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(a.waiting(), 0, "a request dropped while waiting leaves the line");
    }

    #[tokio::test]
    async fn a_request_waits_no_longer_than_the_limit() {
        let a = admission(1, 10, 50);
        let _held = a.enter().await.unwrap();
        let started = std::time::Instant::now();
        assert_eq!(a.enter().await.err(), Some(Overloaded));
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(a.waiting(), 0);
    }
}
