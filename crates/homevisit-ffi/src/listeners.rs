//! Listeners the shells implement (sync progress; "these documents changed"), and the
//! subscription handles that end them. A listener is called from a background thread; a shell
//! hops to its main thread itself.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use homevisit_docs::DocId;
use homevisit_sync::SyncReport;
use homevisit_sync::agent::SyncListener;
use homevisit_sync::client::{self, ClientError};

use crate::error::HomevisitError;
use crate::types::{ChangedDocument, SyncProgress};

/// What a listener that failed (threw) amounts to: nothing. The library ignores it and goes on
/// syncing; a shell's exception must never stop sync.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ListenerError {
    #[error("the listener failed")]
    Failed,
}

impl From<uniffi::UnexpectedUniFFICallbackError> for ListenerError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        ListenerError::Failed
    }
}

/// Told how a sync under way is going.
#[uniffi::export(with_foreign)]
pub trait SyncProgressListener: Send + Sync {
    fn on_progress(&self, progress: SyncProgress) -> Result<(), ListenerError>;
    /// A sync ended: `error` is `None` on success, else a short reason (no content).
    fn on_finished(&self, error: Option<String>) -> Result<(), ListenerError>;
}

/// Told which documents changed because of a sync (a partner's words arrived), so a screen
/// showing one of them refreshes.
#[uniffi::export(with_foreign)]
pub trait DocumentChangeListener: Send + Sync {
    fn on_documents_changed(&self, documents: Vec<ChangedDocument>) -> Result<(), ListenerError>;
}

/// The listeners subscribed to one app.
#[derive(Default)]
pub(crate) struct Listeners {
    next: Mutex<u64>,
    progress: Mutex<Vec<(u64, Arc<dyn SyncProgressListener>)>>,
    changes: Mutex<Vec<(u64, Arc<dyn DocumentChangeListener>)>>,
}

/// Calls a listener; its failure (an exception in the shell, or a panic in a Rust listener) is
/// dropped: sync goes on, and nothing of the failure's text is logged.
fn ignore_failure(call: impl FnOnce() -> Result<(), ListenerError>) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Listeners {
    fn id(&self) -> u64 {
        let mut next = lock(&self.next);
        *next += 1;
        *next
    }

    pub(crate) fn add_progress(self: &Arc<Self>, l: Arc<dyn SyncProgressListener>) -> Arc<Subscription> {
        let id = self.id();
        lock(&self.progress).push((id, l));
        Arc::new(Subscription { listeners: Arc::downgrade(self), id })
    }

    pub(crate) fn add_changes(self: &Arc<Self>, l: Arc<dyn DocumentChangeListener>) -> Arc<Subscription> {
        let id = self.id();
        lock(&self.changes).push((id, l));
        Arc::new(Subscription { listeners: Arc::downgrade(self), id })
    }

    fn remove(&self, id: u64) {
        lock(&self.progress).retain(|(i, _)| *i != id);
        lock(&self.changes).retain(|(i, _)| *i != id);
    }

    pub(crate) fn clear(&self) {
        lock(&self.progress).clear();
        lock(&self.changes).clear();
    }

    // Callbacks run on a snapshot of the list, outside the lock: a listener may unsubscribe.
    fn tell_progress(&self, p: SyncProgress) {
        let all: Vec<_> = lock(&self.progress).iter().map(|(_, l)| l.clone()).collect();
        all.iter().for_each(|l| ignore_failure(|| l.on_progress(p.clone())));
    }

    fn tell_finished(&self, error: Option<String>) {
        let all: Vec<_> = lock(&self.progress).iter().map(|(_, l)| l.clone()).collect();
        all.iter().for_each(|l| ignore_failure(|| l.on_finished(error.clone())));
    }

    fn tell_changed(&self, docs: &[DocId]) {
        if docs.is_empty() {
            return;
        }
        let docs: Vec<ChangedDocument> =
            docs.iter().map(|d| ChangedDocument { kind: d.kind.as_str().to_string(), id: d.id.to_string() }).collect();
        let all: Vec<_> = lock(&self.changes).iter().map(|(_, l)| l.clone()).collect();
        all.iter().for_each(|l| ignore_failure(|| l.on_documents_changed(docs.clone())));
    }
}

/// How the device session's sync reports reach the shell's listeners: converted to records and
/// public error messages (an unexpected failure is logged as it is converted).
impl SyncListener for Listeners {
    fn progress(&self, p: client::SyncProgress) {
        self.tell_progress(SyncProgress {
            documents_done: p.documents_done as u32,
            documents_total: p.documents_total as u32,
            bytes_sent: p.bytes_sent as u64,
            bytes_received: p.bytes_received as u64,
        });
    }

    fn finished(&self, result: &Result<SyncReport, ClientError>, _retry_in: Option<Duration>) {
        self.tell_finished(result.as_ref().err().map(|e| HomevisitError::from_client(e).to_string()));
    }

    fn documents_changed(&self, docs: Vec<DocId>) {
        self.tell_changed(&docs);
    }
}

/// Ends a subscription when cancelled or dropped (Kotlin: `close()`/`use {}`; Swift: release).
#[derive(uniffi::Object)]
pub struct Subscription {
    listeners: Weak<Listeners>,
    id: u64,
}

#[uniffi::export]
impl Subscription {
    /// Stops the listener being called. Calling it again does nothing.
    pub fn cancel(&self) {
        if let Some(l) = self.listeners.upgrade() {
            l.remove(self.id);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}
