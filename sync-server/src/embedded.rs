//! The default backend: the same encrypted SQLite store a device uses (`documents.db`) and the
//! access file (`access.db`), both in the relay's data directory. One relay instance per directory.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use automerge::AutoCommit;
use automerge::sync::{Message, State};
use homevisit_docs::DocId;
use homevisit_store::{DbKey, DocScope, Store, StoreOptions};
use homevisit_sync::{DocFailure, store_failure};

use crate::RelayError;
use crate::access::{AccessStore, SqliteAccess};
use crate::backend::{Backend, DocStorage, SyncOutcome, SyncRequest, run_session};

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

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Backend for Embedded {
    fn access(&self) -> &dyn AccessStore {
        &self.access
    }

    fn sync(&self, request: &SyncRequest<'_>) -> Result<SyncOutcome, RelayError> {
        // The whole request is one commit, made before the answer leaves.
        Ok(self.store().batch(|store| run_session(store, request))?)
    }

    fn import(&self, docs: &[(DocId, Vec<u8>)]) -> Result<(), RelayError> {
        self.store().batch(|store| {
            for (id, bytes) in docs {
                store.merge_document_bytes(id, bytes)?;
            }
            Ok::<_, homevisit_store::StoreError>(())
        })?;
        Ok(())
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

impl DocStorage for Store {
    fn document_scope(&mut self, doc: &DocId) -> Result<Option<DocScope>, DocFailure> {
        Store::document_scope(self, doc).map_err(store_failure)
    }

    fn merge_checked(
        &mut self,
        doc: &DocId,
        bytes: &[u8],
        allowed: &mut dyn FnMut(&mut AutoCommit) -> bool,
    ) -> Result<(), DocFailure> {
        self.merge_document_bytes_checked(doc, bytes, allowed).map(|_| ()).map_err(store_failure)
    }

    fn receive_checked(
        &mut self,
        doc: &DocId,
        state: &mut State,
        message: Message,
        allowed: &mut dyn FnMut(&mut AutoCommit) -> bool,
    ) -> Result<(), DocFailure> {
        self.receive_sync_message_checked(doc, state, message, allowed).map_err(store_failure)
    }
}
