//! Sync by itself: a background task that syncs when nudged (a local edit, connectivity back,
//! the app coming to the foreground) and retries every retryable failure with exponential backoff
//! and full jitter, so a school's phones coming back online do not all retry in step. In live mode
//! ([`SyncAgent::start_live`]) it also keeps a long-poll open at the relay between syncs, so
//! partners co-editing at the same moment see each other's words as they come, and tells the
//! listener which documents changed. Dropping the [`SyncAgent`] stops the task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use homevisit_docs::DocId;
use homevisit_store::Store;
use tokio::sync::Notify;

use crate::SyncReport;
use crate::client::{ClientError, LIVE_WAIT, RelayClient, SyncHooks, SyncProgress};

/// What the agent tells the app.
pub trait SyncListener: Send + Sync {
    fn progress(&self, progress: SyncProgress);
    /// A sync attempt ended; on failure `retry_in` says when the next attempt is (if any). In live
    /// mode that includes every poll that was answered (with news, or empty at its deadline), but
    /// not one given up for a nudge.
    fn finished(&self, result: &Result<SyncReport, ClientError>, retry_in: Option<Duration>);
    /// These documents changed because of what arrived from the relay (a partner's words, a
    /// coordinator's change): a screen showing one of them should refresh. Called as soon as the
    /// changes are stored, before the sync finishes; ids only.
    fn documents_changed(&self, docs: Vec<DocId>) {
        let _ = docs;
    }
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

/// How the agent waits between syncs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Sync at start and when nudged (and retry failures).
    OnDemand,
    /// Live: between syncs, keep one long-poll open at the relay ([`RelayClient::sync_live`]), so
    /// a partner's edits arrive as soon as the relay has them. `wait` is the longest one poll
    /// lasts before the next begins (the relay cuts it to 25 s). A nudge gives up the poll and
    /// pushes at once, then the agent waits again.
    Live { wait: Duration },
}

/// Sessions in a row that exchanged messages but changed nothing here, without a local edit in
/// between, before the agent slows down: a document that never settles (refused on one side, say)
/// must not turn live mode into a busy loop. Quiet polls and local edits reset the count.
const FRUITLESS_BEFORE_SLOWING: u32 = 2;

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
        backoff: Backoff,
    ) -> Self {
        Self::start_with(client, store, listener, backoff, Mode::OnDemand)
    }

    /// [`SyncAgent::start`] in live mode, each poll waiting up to [`LIVE_WAIT`].
    pub fn start_live(
        client: RelayClient,
        store: Arc<Mutex<Store>>,
        listener: Arc<dyn SyncListener>,
        backoff: Backoff,
    ) -> Self {
        Self::start_with(client, store, listener, backoff, Mode::Live { wait: LIVE_WAIT })
    }

    /// Starts the agent in `mode`. Failures are retried with `backoff` in either mode (a nudge
    /// retries at once); a failure no retry can fix (a revoked device) waits for a nudge.
    pub fn start_with(
        client: RelayClient,
        store: Arc<Mutex<Store>>,
        listener: Arc<dyn SyncListener>,
        mut backoff: Backoff,
        mode: Mode,
    ) -> Self {
        let nudge = Arc::new(Notify::new());
        let wake = nudge.clone();
        let task = tokio::spawn(async move {
            let mut fruitless = 0u32;
            let mut slow_down = Backoff::new(Duration::from_millis(100), Duration::from_secs(30));
            loop {
                let progress = |p: SyncProgress| listener.progress(p);
                let changed = |docs: Vec<DocId>| listener.documents_changed(docs);
                let hooks = SyncHooks { progress: &progress, changed: &changed };
                let result = match mode {
                    Mode::OnDemand => client.sync_with(&store, hooks).await,
                    Mode::Live { wait } => match client.sync_live_with(&store, wait, hooks, wake.notified()).await {
                        Ok(Some(report)) => Ok(report),
                        // Nudged while waiting: a local edit to push, now.
                        Ok(None) => {
                            fruitless = 0;
                            continue;
                        }
                        Err(e) => Err(e),
                    },
                };
                let retry_in = match &result {
                    Ok(_) => {
                        backoff.reset();
                        None
                    }
                    Err(e) if e.is_retryable() => Some(backoff.next_delay()),
                    Err(_) => None,
                };
                listener.finished(&result, retry_in);
                let pause = match (&result, retry_in, mode) {
                    // Retry after the backoff, or sooner if nudged (e.g. connectivity is back).
                    (_, Some(wait), _) => Some(wait),
                    (Ok(report), None, Mode::Live { .. }) => {
                        let quiet = report.messages_received == 0 && report.refused_by_peer.is_empty();
                        if quiet || !report.changed.is_empty() {
                            fruitless = 0;
                            slow_down.reset();
                        } else {
                            fruitless += 1;
                        }
                        // Listen again at once, unless sessions keep going round without effect.
                        (fruitless >= FRUITLESS_BEFORE_SLOWING).then(|| slow_down.next_delay())
                    }
                    // On demand, or a failure no retry fixes: until nudged.
                    _ => None,
                };
                let listen_again = matches!((&result, mode), (Ok(_), Mode::Live { .. }));
                match pause {
                    Some(wait) => {
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {},
                            _ = wake.notified() => fruitless = 0,
                        }
                    }
                    None if listen_again => {}
                    None => {
                        wake.notified().await;
                        fruitless = 0;
                    }
                }
            }
        });
        Self { nudge, task }
    }

    /// Stops the agent and waits until its task has ended (and let go of the store).
    pub async fn stopped(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }

    /// Asks for a sync now: after a local edit, or when the phone's connectivity comes back. In
    /// live mode it also gives up the waiting poll, so the edit is pushed at once.
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
