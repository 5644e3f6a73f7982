//! One sync with the relay, now: the app's "sync now" and the CLI's `sync`.

use std::sync::Mutex;

use homevisit_docs::DocId;
use homevisit_store::Store;

use super::credentials::require_client;
use super::error::SessionError;
use super::shared::lock;
use crate::SyncReport;
use crate::agent::SyncListener;
use crate::client::{ClientError, RELAY_PEER, SyncHooks, SyncProgress};

/// What one sync did, and how many documents the relay still lacks after it.
#[derive(Debug)]
pub struct SyncOutcome {
    pub report: SyncReport,
    pub unsynced: usize,
}

/// A listener that hears nothing (the CLI's).
pub struct Quiet;

impl SyncListener for Quiet {
    fn progress(&self, _: SyncProgress) {}
    fn finished(&self, _: &Result<SyncReport, ClientError>, _: Option<std::time::Duration>) {}
}

/// Syncs `store` with the relay it is enrolled with ([`SessionError::NotEnrolled`] otherwise,
/// before anything is sent), telling `listener` how it goes and how it ended.
pub async fn sync_once(store: &Mutex<Store>, listener: &dyn SyncListener) -> Result<SyncOutcome, SessionError> {
    let client = require_client(&lock(store))?;
    let progress = |p: SyncProgress| listener.progress(p);
    let changed = |docs: Vec<DocId>| listener.documents_changed(docs);
    let result = client.sync_with(store, SyncHooks { progress: &progress, changed: &changed }).await;
    listener.finished(&result, None);
    let report = result?;
    let unsynced = lock(store).unsynced_count(RELAY_PEER)?;
    Ok(SyncOutcome { report, unsynced })
}
