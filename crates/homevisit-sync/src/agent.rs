//! Sync by itself: a background task that syncs when nudged (a local edit, connectivity back,
//! the app coming to the foreground) and retries every retryable failure with exponential backoff
//! and full jitter, so a school's phones coming back online do not all retry in step. Dropping the
//! [`SyncAgent`] stops the task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use homevisit_store::Store;
use tokio::sync::Notify;

use crate::SyncReport;
use crate::client::{ClientError, RelayClient, SyncProgress};

/// What the agent tells the app.
pub trait SyncListener: Send + Sync {
    fn progress(&self, progress: SyncProgress);
    /// A sync attempt ended; on failure `retry_in` says when the next attempt is (if any).
    fn finished(&self, result: &Result<SyncReport, ClientError>, retry_in: Option<Duration>);
}

/// Exponential backoff with full jitter: attempt n waits a random time in [0, min(max, base * 2^n)].
#[derive(Clone, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    attempt: u32,
    rng: u64,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        let mut seed = [0u8; 8];
        let _ = getrandom::fill(&mut seed);
        Self { base, max, attempt: 0, rng: u64::from_le_bytes(seed) | 1 }
    }

    /// The wait before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let cap = self.base.saturating_mul(1u32 << self.attempt.min(20)).min(self.max);
        self.attempt += 1;
        // xorshift64*: plenty for spreading retries
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
        cap.mul_f64((r >> 11) as f64 / (1u64 << 53) as f64)
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

impl Default for Backoff {
    /// 2 s doubling up to 5 minutes.
    fn default() -> Self {
        Self::new(Duration::from_secs(2), Duration::from_secs(300))
    }
}

/// The running background sync. Drop it to stop.
pub struct SyncAgent {
    nudge: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl SyncAgent {
    /// Starts syncing `store` with the relay in the background (on the current tokio runtime);
    /// it syncs once at start, then whenever nudged, and retries failures with `backoff`.
    pub fn start(
        client: RelayClient,
        store: Arc<Mutex<Store>>,
        listener: Arc<dyn SyncListener>,
        mut backoff: Backoff,
    ) -> Self {
        let nudge = Arc::new(Notify::new());
        let wake = nudge.clone();
        let task = tokio::spawn(async move {
            loop {
                let report = |p: SyncProgress| listener.progress(p);
                let result = client.sync_with_progress(&store, &report).await;
                let retry_in = match &result {
                    Ok(_) => {
                        backoff.reset();
                        None
                    }
                    Err(e) if e.is_retryable() => Some(backoff.next_delay()),
                    Err(_) => None,
                };
                listener.finished(&result, retry_in);
                match retry_in {
                    // Retry after the backoff, or sooner if nudged (e.g. connectivity is back).
                    Some(wait) => {
                        tokio::select! { _ = tokio::time::sleep(wait) => {}, _ = wake.notified() => {} }
                    }
                    None => wake.notified().await,
                }
            }
        });
        Self { nudge, task }
    }

    /// Asks for a sync now: after a local edit, or when the phone's connectivity comes back.
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }
}

impl Drop for SyncAgent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_stays_under_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        for n in 0..12u32 {
            let cap = Duration::from_millis(100).saturating_mul(1 << n).min(Duration::from_secs(2));
            assert!(b.next_delay() <= cap);
        }
        let delays: Vec<_> = (0..32).map(|_| b.next_delay()).collect();
        assert!(delays.iter().any(|d| *d != delays[0]), "jittered");
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
