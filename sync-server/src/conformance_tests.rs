//! The `SyncDocs` conformance suite (`homevisit_sync::conformance`) against the relay's storages:
//! the embedded one's document store, and PostgreSQL's (`postgres.rs`: run when
//! `HOMEVISIT_TEST_POSTGRES` names a server, as `scripts/with-postgres` does in `scripts/test`;
//! skipped with a notice otherwise). What is tested is each storage as sync storage, below the
//! relay's policy (`RelayDocs`, `DevicePolicy`), which decides access and is tested apart.

use std::path::{Path, PathBuf};

use homevisit_store::{DbKey, StoreOptions};
use homevisit_sync::conformance::Harness;
use homevisit_sync::{DocFailure, SyncDocs};

use crate::relay_index::RelayStore;

/// The embedded relay's document store, opened as `Embedded::open` opens it: `documents.db` in a
/// data directory, with the relay's index and a small cache. A step is one `Store::batch`, as
/// each of the relay's transactions is.
struct EmbeddedStore {
    _dir: tempfile::TempDir,
    path: PathBuf,
    key: DbKey,
    store: Option<RelayStore>,
}

fn open_embedded(path: &Path, key: &DbKey) -> RelayStore {
    let options = StoreOptions { cache_documents: 32, ..Default::default() };
    RelayStore::open_indexed(path, key, options).expect("the embedded store opens")
}

impl EmbeddedStore {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a data directory");
        let path = dir.path().join("documents.db");
        let key = DbKey::generate().expect("a key");
        let store = Some(open_embedded(&path, &key));
        Self { _dir: dir, path, key, store }
    }
}

impl Harness for EmbeddedStore {
    fn run(&mut self, step: &mut dyn FnMut(&mut dyn SyncDocs) -> Result<(), DocFailure>) -> Result<(), DocFailure> {
        self.store.as_mut().expect("open").batch(|store| step(store))
    }

    fn reopen(&mut self) {
        drop(self.store.take());
        self.store = Some(open_embedded(&self.path, &self.key));
    }
}

mod embedded {
    homevisit_sync::sync_docs_conformance!(super::EmbeddedStore::new());
}

mod postgres;
