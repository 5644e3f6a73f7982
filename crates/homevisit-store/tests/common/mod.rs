#![allow(dead_code)]
//! Shared helpers for the store's integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// This test binary started again to run only `test` (an `#[ignore]`d child test), with `env` set:
/// how a test gets a process of its own to kill or to watch exit.
pub fn child_test(test: &str, env: &str, value: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", test, "--ignored", "--nocapture", "--test-threads=1"]).env(env, value);
    command
}

/// The demo district's fixed day (Sunday 2026-11-22, UTC-8).
pub fn demo_day() -> (chrono::NaiveDate, chrono::FixedOffset) {
    (chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), chrono::FixedOffset::west_opt(8 * 3600).unwrap())
}

/// A store holding the demo district on its fixed day.
pub fn demo_store(dir: &tempfile::TempDir) -> (Store, DataSet) {
    let (day, offset) = demo_day();
    let data = homevisit_fixtures::demo::data_set(day, offset);
    let mut store = open(&db_path(dir));
    load(&mut store, &data);
    (store, data)
}
