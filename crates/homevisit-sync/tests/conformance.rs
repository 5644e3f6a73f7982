//! The `SyncDocs` conformance suite (src/conformance.rs) against the in-memory storage and the
//! phone's store. The relay's embedded and PostgreSQL storages run it in sync-server
//! (src/conformance_tests.rs).

use homevisit_store::{DbKey, Store};
use homevisit_sync::conformance::Harness;
use homevisit_sync::{DocFailure, MemoryDocs, SyncDocs};

mod memory {
    homevisit_sync::sync_docs_conformance!(super::MemoryDocs::new());
}

/// The phone's encrypted store in a temporary directory; a step is one `Store::batch`.
struct PhoneStore {
    dir: tempfile::TempDir,
    key: DbKey,
    store: Option<Store>,
}

impl PhoneStore {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let key = DbKey::generate().expect("a key");
        let store = Store::open(dir.path().join("homevisit.db"), &key).expect("the store opens");
        Self { dir, key, store: Some(store) }
    }
}

impl Harness for PhoneStore {
    fn run(&mut self, step: &mut dyn FnMut(&mut dyn SyncDocs) -> Result<(), DocFailure>) -> Result<(), DocFailure> {
        self.store.as_mut().expect("open").batch(|store| step(store))
    }

    fn reopen(&mut self) {
        drop(self.store.take());
        self.store = Some(Store::open(self.dir.path().join("homevisit.db"), &self.key).expect("the store reopens"));
    }
}

mod phone_store {
    homevisit_sync::sync_docs_conformance!(super::PhoneStore::new());
}
