//! The background check of documents stored as received: a visit's notes received whole are kept
//! without loading them (loading is most of the cost of receiving one, and whoever may write them
//! is decided by their visit's log), then loaded here, shortly after the request that stored them
//! has been answered, so each is checked in full (Automerge's verification of its heads, and
//! `homevisit_docs::check`), in the relay's quiet moments. One that fails was crafted: it is deleted (and a device asking for it
//! before then gets bytes its own store refuses on first load, as it refuses any crafted bytes).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Relay;

/// Documents loaded per turn at the store (the embedded relay's lock is released in between).
const PER_TURN: usize = 16;

/// A turn waits for a quiet moment: no sync request in progress, and none for this long (checking
/// is work no device is waiting for; a device in the middle of a sync sends its next request within
/// milliseconds).
const QUIET: Duration = Duration::from_millis(500);

/// ...but never longer than this, so a relay that is never quiet still checks.
const MOST_DEFERRED: Duration = Duration::from_secs(5);

/// How often a deferred turn looks whether the relay is quiet.
const QUIET_POLL: Duration = Duration::from_millis(50);

/// Sync requests in progress (one [`Busy`] each) and when the last one ended, so the check can
/// wait for a quiet moment.
pub(crate) struct SyncsInProgress {
    now: AtomicUsize,
    epoch: Instant,
    /// Milliseconds from `epoch` to when the last request ended.
    last_ended_ms: AtomicU64,
}

impl Default for SyncsInProgress {
    fn default() -> Self {
        Self { now: AtomicUsize::new(0), epoch: Instant::now(), last_ended_ms: AtomicU64::new(0) }
    }
}

/// One sync request in progress, until dropped.
pub(crate) struct Busy<'a>(&'a SyncsInProgress);

impl SyncsInProgress {
    pub(crate) fn enter(&self) -> Busy<'_> {
        self.now.fetch_add(1, Ordering::AcqRel);
        Busy(self)
    }

    fn quiet(&self) -> bool {
        let since_ms = self.epoch.elapsed().as_millis() as u64;
        self.now.load(Ordering::Acquire) == 0
            && since_ms.saturating_sub(self.last_ended_ms.load(Ordering::Acquire)) >= QUIET.as_millis() as u64
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        let syncs = self.0;
        syncs.last_ended_ms.store(syncs.epoch.elapsed().as_millis() as u64, Ordering::Release);
        syncs.now.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Sleeps until the relay is quiet, or [`MOST_DEFERRED`] has passed.
fn wait_for_quiet(syncs: &SyncsInProgress) {
    let started = Instant::now();
    while !syncs.quiet() && started.elapsed() < MOST_DEFERRED {
        std::thread::sleep(QUIET_POLL);
    }
}

/// Starts checking the relay's unloaded documents on a blocking thread, unless a check is running.
pub(crate) fn start(relay: &Arc<Relay>) {
    if relay.unloaded_check_running.swap(true, Ordering::AcqRel) {
        return;
    }
    let relay = relay.clone();
    tokio::task::spawn_blocking(move || {
        loop {
            wait_for_quiet(&relay.syncs_in_progress);
            match relay.backend.check_unloaded(PER_TURN) {
                Ok(checked) => {
                    if checked.deleted > 0 {
                        relay.metrics.refused.inc_by(checked.deleted as u64);
                        tracing::warn!(deleted = checked.deleted, "documents received whole failed their full check");
                    }
                    if checked.left == 0 {
                        break;
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "checking documents received whole");
                    break;
                }
            }
        }
        relay.unloaded_check_running.store(false, Ordering::Release);
    });
}
