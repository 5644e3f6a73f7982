#![allow(dead_code)]
//! Shared helpers for the store's integration tests.

use std::path::{Path, PathBuf};

use homevisit_fixtures::DataSet;
use homevisit_store::{DbKey, Store};

pub fn key(byte: u8) -> DbKey {
    DbKey::from_bytes([byte; 32])
}

pub fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("homevisit.db")
}

pub fn open(path: &Path) -> Store {
    Store::open(path, &key(7)).expect("open store")
}

/// Loads a fixture data set: roster first, then families, then visits.
pub fn load(store: &mut Store, data: &DataSet) {
    store.import_district(&data.schools, &data.educators, &data.families, &data.visits).unwrap();
}

/// A plain rusqlite connection to the encrypted file, to inspect or damage it as a test needs.
pub fn raw_connection(path: &Path) -> homevisit_store::EncryptedConnection {
    homevisit_store::open_encrypted(path, &key(7), rusqlite::OpenFlags::default()).unwrap()
}
