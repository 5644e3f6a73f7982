//! How the last sync ended, for a status line: kept from every sync's report, the background
//! agent's and "sync now" alike, on the way to the app's own listener.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use homevisit_docs::DocId;
use homevisit_model::Timestamp;

use super::error::client_code;
use crate::agent::SyncListener;
use crate::client::{ClientError, SyncProgress};
use crate::{RejectReason, SyncReport};

/// Why a sync failed, kept for the status line (the client's error itself is not `Clone` and may
/// name more than a status line should).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncFailure {
    InsecureUrl,
    /// The relay could not be reached.
    Offline,
    /// The relay does not know this device.
    Unauthorized,
    /// The relay revoked this device: its store is wiped.
    Revoked,
    RateLimited,
    /// The relay answered with this HTTP status.
    Refused(u16),
    /// Anything else (a protocol or storage failure, the HTTP client's setup): its stable code.
    Unexpected {
        code: &'static str,
    },
}

impl SyncFailure {
    pub fn of(e: &ClientError) -> Self {
        match e {
            ClientError::InsecureUrl => SyncFailure::InsecureUrl,
            ClientError::Unreachable(_) => SyncFailure::Offline,
            ClientError::Unauthorized => SyncFailure::Unauthorized,
            ClientError::Revoked => SyncFailure::Revoked,
            ClientError::RateLimited => SyncFailure::RateLimited,
            ClientError::Refused(status) => SyncFailure::Refused(*status),
            other => SyncFailure::Unexpected { code: client_code(other) },
        }
    }
}

/// The last sync's outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LastSync {
    /// When a sync last succeeded.
    pub succeeded_at: Option<Timestamp>,
    /// Why the last sync failed; `None` once one succeeds again.
    pub failure: Option<SyncFailure>,
}

/// What a revocation sets off (the device's wipe).
type OnRevoked = Box<dyn Fn() + Send + Sync>;

/// Keeps [`LastSync`] and passes every report on to the app's listener; a sync that heard the
/// relay revoke this device sets off the device's wipe first.
pub(super) struct StatusKeeper {
    listener: Arc<dyn SyncListener>,
    last: Mutex<LastSync>,
    /// Documents the relay refused, and why (the latest reason), until they reach it: a refused
    /// document stays unsynced, so the sync status screen lists it with its reason. Entries for
    /// documents that reached the relay are dropped when read ([`StatusKeeper::refused_among`]).
    refused: Mutex<BTreeMap<DocId, RejectReason>>,
    on_revoked: OnceLock<OnRevoked>,
}

impl StatusKeeper {
    pub(super) fn new(listener: Arc<dyn SyncListener>) -> Self {
        Self { listener, last: Mutex::default(), refused: Mutex::default(), on_revoked: OnceLock::new() }
    }

    /// What to do when a sync hears that this device was revoked (set once).
    pub(super) fn on_revoked(&self, f: impl Fn() + Send + Sync + 'static) {
        let _ = self.on_revoked.set(Box::new(f));
    }

    pub(super) fn last(&self) -> LastSync {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Why the relay refused each of `unsynced` it refused; forgets every other document (it
    /// reached the relay since, or is gone).
    pub(super) fn refused_among(&self, unsynced: &[DocId]) -> BTreeMap<DocId, RejectReason> {
        let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
        refused.retain(|doc, _| unsynced.contains(doc));
        refused.clone()
    }
}

impl SyncListener for StatusKeeper {
    fn progress(&self, progress: SyncProgress) {
        self.listener.progress(progress);
    }

    fn finished(&self, result: &Result<SyncReport, ClientError>, retry_in: Option<Duration>) {
        {
            let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
            match result {
                Ok(report) => {
                    *last = LastSync { succeeded_at: Some(Timestamp::now()), failure: None };
                    // `Busy` is pacing, not a refusal: the document goes again in the next batch.
                    let mut refused = self.refused.lock().unwrap_or_else(|p| p.into_inner());
                    for (doc, reason) in &report.refused_by_peer {
                        if *reason != RejectReason::Busy {
                            refused.insert(*doc, *reason);
                        }
                    }
                }
                Err(e) => last.failure = Some(SyncFailure::of(e)),
            }
        }
        if matches!(result, Err(ClientError::Revoked))
            && let Some(wipe) = self.on_revoked.get()
        {
            wipe();
        }
        // Recorded first: a listener that reads the status when told sees this sync's outcome.
        self.listener.finished(result, retry_in);
    }

    fn documents_changed(&self, docs: Vec<DocId>) {
        self.listener.documents_changed(docs);
    }
}
