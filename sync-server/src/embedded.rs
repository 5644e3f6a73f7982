//! The default backend: the same encrypted SQLite store a device uses (`documents.db`) and the
//! access file (`access.db`), both in the relay's data directory. One relay instance per directory.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::AutoCommit;
use homevisit_docs::{DocId, Scope};
use homevisit_model::{EducatorId, VisitId};
use homevisit_store::{Applied, DbKey, Incoming, Store, StoreOptions};
use homevisit_sync::{DocFailure, store_failure};

use crate::RelayError;
use crate::access::{AccessStore, SqliteAccess};
use crate::backend::{Backend, DocStorage, Judge, Records, RequestRun, SyncOutcome, SyncRequest, Usage};

/// Loaded documents the relay keeps in memory (its peak RSS is a target: 50 MB).
const RELAY_CACHE_DOCUMENTS: usize = 32;

pub struct Embedded {
    store: Mutex<Store>,
    access: SqliteAccess,
}

impl Embedded {
    pub fn open(data_dir: &Path, key: &DbKey) -> Result<Self, RelayError> {
        // The relay touches each document about once per sync: keep few loaded.
        let options = StoreOptions { cache_documents: RELAY_CACHE_DOCUMENTS, ..Default::default() };
        let store = Store::open_with(data_dir.join("documents.db"), key, options)?;
        let access = SqliteAccess::open(&data_dir.join("access.db"), key)?;
        Ok(Self { store: Mutex::new(store), access })
    }

    /// The store, locked. Every write runs contained (below), so the lock is never poisoned by
    /// a panic in a request; if it is anyway (a bug), the store is first brought back to what is
    /// committed on disk (open transaction rolled back, documents in memory forgotten): nothing
    /// goes on inside a transaction that a panic left open.
    fn store(&self) -> MutexGuard<'_, Store> {
        match self.store.lock() {
            Ok(store) => store,
            Err(poisoned) => {
                let mut store = poisoned.into_inner();
                store.recover_after_panic();
                self.store.clear_poison();
                tracing::error!("the document store was recovered after a panic");
                store
            }
        }
    }

    /// Runs one transaction on the store with panics contained: a panic is an error for this
    /// request, its transaction is rolled back (by `Store::batch`'s guard, as the panic unwinds),
    /// and the lock stays sound for the next request.
    fn transaction<R>(&self, f: impl FnOnce(&mut Store) -> Result<R, RelayError>) -> Result<R, RelayError> {
        let mut store = self.store();
        match catch_unwind(AssertUnwindSafe(|| store.batch(f))) {
            Ok(result) => result,
            Err(_) => {
                store.recover_after_panic();
                Err(RelayError::Io(
                    "a request failed inside the store (a contained panic); nothing of it was stored".into(),
                ))
            }
        }
    }
}

impl Backend for Embedded {
    fn access(&self) -> &dyn AccessStore {
        &self.access
    }

    fn sync(&self, request: &SyncRequest<'_>) -> Result<SyncOutcome, RelayError> {
        // Short transactions, the lock released (fairly: to whoever waited longest) between them,
        // so another device's small sync waits for one step, not for this whole request.
        let mut run = RequestRun::new(request);
        while run.has_incoming() {
            self.transaction(|store| Ok(run.apply_next(store)?))?;
        }
        self.transaction(|store| Ok(run.answer(store)?))
    }

    fn import(&self, docs: &[(DocId, Vec<u8>)]) -> Result<(), RelayError> {
        self.transaction(|store| {
            for (id, bytes) in docs {
                store.merge_document_bytes(id, bytes)?;
            }
            Ok(())
        })
    }

    fn document(&self, id: &DocId) -> Result<Option<AutoCommit>, RelayError> {
        let store = self.store();
        if !store.contains_document(id)? {
            return Ok(None);
        }
        let (bytes, _) = store.stored_document(id)?;
        Ok(Some(homevisit_docs::load(&bytes).map_err(|e| RelayError::Io(e.to_string()))?))
    }

    fn document_count(&self) -> Result<usize, RelayError> {
        Ok(self.store().document_ids(None)?.len())
    }
}

impl Records for Store {
    fn scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure> {
        Store::document_scope(self, doc).map_err(store_failure)
    }

    fn contributors(&mut self, visit: VisitId) -> Result<Vec<EducatorId>, DocFailure> {
        Store::contributors(self, visit).map_err(store_failure)
    }
}

/// The store's records, seen from inside one of its own writes (which holds it borrowed).
struct StoreRecords<'a>(&'a Store);

impl Records for StoreRecords<'_> {
    fn scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure> {
        self.0.document_scope(doc).map_err(store_failure)
    }

    fn contributors(&mut self, visit: VisitId) -> Result<Vec<EducatorId>, DocFailure> {
        self.0.contributors(visit).map_err(store_failure)
    }
}

impl DocStorage for Store {
    fn apply_checked(
        &mut self,
        doc: &DocId,
        incoming: Incoming<'_>,
        judge: &mut Judge<'_>,
    ) -> Result<Applied, DocFailure> {
        self.apply_received(doc, incoming, |received, store| judge(received, &mut StoreRecords(store)))
            .map_err(store_failure)
    }

    fn record_contributor(&mut self, visit: VisitId, educator: EducatorId) -> Result<(), DocFailure> {
        Store::record_contributor(self, visit, educator).map_err(store_failure)
    }

    fn discard_pending(&mut self, doc: &DocId) {
        Store::discard_pending(self, doc);
    }

    fn usage(&mut self, device: &str) -> Result<Usage, DocFailure> {
        let (documents, bytes) = self.device_usage(device).map_err(store_failure)?;
        Ok(Usage { documents, bytes })
    }

    fn add_usage(&mut self, device: &str, added: Usage) -> Result<(), DocFailure> {
        self.add_device_usage(device, added.documents, added.bytes).map_err(store_failure)
    }
}
