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

/// Sleeps until the relay is quiet, or [`MOST_DEFERRED`] has passed: no sync request in progress
/// here for [`QUIET`], and for as long none seen at work on the storage (`storage_busy`: another
/// instance's, on a storage several share), polled every [`QUIET_POLL`].
fn wait_for_quiet(syncs: &SyncsInProgress, storage_busy: impl Fn() -> bool) {
    let started = Instant::now();
    let mut storage_seen_busy = started;
    while started.elapsed() < MOST_DEFERRED {
        if storage_busy() {
            storage_seen_busy = Instant::now();
        } else if syncs.quiet() && storage_seen_busy.elapsed() >= QUIET {
            return;
        }
        std::thread::sleep(QUIET_POLL);
    }
}

/// Starts checking the relay's unloaded documents on a blocking thread, unless a check is running;
/// once none is left, it runs the storage's upkeep ([`crate::backend::Backend::upkeep`]).
pub(crate) fn start(relay: &Arc<Relay>) {
    if relay.unloaded_check_running.swap(true, Ordering::AcqRel) {
        return;
    }
    let relay = relay.clone();
    tokio::task::spawn_blocking(move || {
        loop {
            wait_for_quiet(&relay.syncs_in_progress, || relay.backend.storage_busy());
            match relay.backend.check_unloaded(PER_TURN) {
                Ok(checked) => {
                    if checked.deleted > 0 {
                        relay.metrics.refused.inc_by(checked.deleted as u64);
                        tracing::warn!(deleted = checked.deleted, "documents received whole failed their full check");
                    }
                    if checked.left == 0 {
                        // Then, in the same quiet moment, the storage's upkeep: work no device
                        // waits for either.
                        if let Err(e) = relay.backend.upkeep() {
                            tracing::error!(error = %e, "the storage's upkeep");
                        }
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

#[cfg(test)]
mod tests {
    use automerge::ActorId;
    use homevisit_docs::{DocId, DocKind};
    use homevisit_model::{VisitId, VisitNotes};

    use super::*;
    use crate::Storage;
    use crate::pg::test_schema::TestSchema;

    /// Notes of `visit`, saved whole.
    fn notes_of(visit: VisitId) -> Vec<u8> {
        let words = VisitNotes { hopes_and_dreams: "To read with her sister.".into(), ..Default::default() };
        homevisit_docs::create_notes_with(visit, &words, &ActorId::random()).unwrap().save()
    }

    /// New notes received whole are stored without being checked, and the check then keeps the
    /// honest and deletes the crafted (another visit's notes under this visit's id), on `relay`.
    fn notes_are_stored_unchecked_then_checked(relay: Arc<Relay>) {
        let (honest, crafted) = (VisitId::new(), VisitId::new());
        let honest_id = DocId::new(DocKind::VisitNotes, honest.uuid());
        let crafted_id = DocId::new(DocKind::VisitNotes, crafted.uuid());
        // An import is merged like any received document; loaded at once, the crafted notes would
        // fail their check and the import with them.
        relay.backend.import(&[(honest_id, notes_of(honest)), (crafted_id, notes_of(VisitId::new()))]).unwrap();
        assert!(relay.backend.document(&crafted_id).unwrap().is_some(), "stored as received, unchecked");
        let checked = relay.backend.check_unloaded(16).unwrap();
        assert_eq!((checked.deleted, checked.left), (1, 0));
        assert!(relay.backend.document(&crafted_id).unwrap().is_none(), "the crafted notes are deleted");
        assert!(relay.backend.document(&honest_id).unwrap().is_some(), "the honest notes are kept");
        assert_eq!(relay.backend.check_unloaded(16).unwrap().left, 0);
    }

    #[test]
    fn embedded_notes_are_stored_unchecked_then_checked() {
        let dir = tempfile::tempdir().unwrap();
        notes_are_stored_unchecked_then_checked(Relay::open_with(dir.path(), &Storage::Embedded).unwrap());
    }

    #[test]
    fn postgres_notes_are_stored_unchecked_then_checked() {
        let Some(schema) = TestSchema::new("hv_unloaded", "unloaded notes run") else { return };
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::open_with(dir.path(), &Storage::Postgres(schema.url.clone())).unwrap();
        notes_are_stored_unchecked_then_checked(relay.clone());
        drop(relay);
    }

    /// What a request writes stays in the WAL (the relay raised SQLite's automatic checkpoint) until
    /// the relay is quiet: then the check's upkeep copies it into `documents.db`.
    #[tokio::test]
    async fn the_embedded_relay_checkpoints_once_quiet() {
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::open_with(dir.path(), &Storage::Embedded).unwrap();
        let file = dir.path().join("documents.db");
        let size = || std::fs::metadata(&file).unwrap().len();
        let visits: Vec<VisitId> = (0..40).map(|_| VisitId::new()).collect();
        let docs: Vec<_> = visits.iter().map(|v| (DocId::new(DocKind::VisitNotes, v.uuid()), notes_of(*v))).collect();
        relay.backend.import(&docs).unwrap();
        let written = size();
        std::thread::sleep(QUIET);
        assert_eq!(size(), written, "nothing is copied into the file before the upkeep");
        start(&relay);
        let started = Instant::now();
        while size() == written {
            assert!(started.elapsed() < MOST_DEFERRED + Duration::from_secs(5), "checkpointed once quiet");
            tokio::time::sleep(QUIET_POLL).await;
        }
        assert!(size() > written);
    }

    #[test]
    fn the_check_waits_while_the_storage_is_busy_elsewhere() {
        // Quiet here; the storage busy (another instance's requests) for its first 300 ms, seen
        // busy last at the poll before: the check waits a quiet moment after that.
        let syncs = SyncsInProgress::default();
        std::thread::sleep(QUIET);
        let started = Instant::now();
        wait_for_quiet(&syncs, || started.elapsed() < Duration::from_millis(300));
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(300) - QUIET_POLL + QUIET, "waited {waited:?}");
        assert!(waited < MOST_DEFERRED, "waited {waited:?}");
    }

    #[test]
    fn postgres_is_busy_while_another_session_is_in_a_transaction() {
        let Some(schema) = TestSchema::new("hv_busy", "busy storage run") else { return };
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::open_with(dir.path(), &Storage::Postgres(schema.url.clone())).unwrap();
        let url = schema.url.clone();
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut other = postgres::Client::connect(&url, postgres::NoTls).unwrap();
                let mut tx = other.transaction().unwrap();
                tx.execute("SELECT 1", &[]).unwrap();
                assert!(relay.backend.storage_busy(), "a session inside a transaction is work on the storage");
                tx.commit().unwrap();
            });
        });
        drop(relay);
    }
}
