#![allow(dead_code)]
//! Shared helpers for the store's integration tests.

use std::path::{Path, PathBuf};

use homevisit_fixtures::DataSet;
use homevisit_store::{DbKey, Store, VisitImport};

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
    for s in &data.schools {
        store.put_school(s).unwrap();
    }
    for e in &data.educators {
        store.put_educator(e).unwrap();
    }
    store.import_families(&data.families).unwrap();
    let visits: Vec<VisitImport> =
        data.visits.iter().map(|(log, notes)| VisitImport { log: log.clone(), notes: notes.clone() }).collect();
    store.import_visits(&visits).unwrap();
}

/// A plain rusqlite connection to the encrypted file, to inspect or damage it as a test needs.
pub fn raw_connection(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key(7).to_hex())).unwrap();
    conn
}
