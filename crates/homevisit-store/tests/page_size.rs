//! The encrypted files' format: new files are made with `PAGE_SIZE` (8 KiB) pages authenticated
//! with HMAC-SHA256; files made before with SQLCipher's defaults (4 KiB, HMAC-SHA512) still open,
//! read and take writes in theirs, and a wrong key is refused in either.

mod common;

use std::path::Path;

use common::*;
use homevisit_fixtures::forms;
use homevisit_store::{LEGACY_PAGE_SIZE, PAGE_SIZE, Store, StoreError};

/// The page size the file was opened with (SQLCipher answers `PRAGMA page_size` as text).
fn page_size(path: &Path) -> u32 {
    raw_connection(path).query_row("PRAGMA page_size", [], |r| r.get::<_, String>(0)).unwrap().parse().unwrap()
}

/// `SELECT count(*) FROM visit_index` through a plain SQLCipher connection keyed with key(7) and
/// SQLCipher's default settings (4 KiB pages, as files were made before), if that reads the file.
fn read_with_sqlcipher_defaults(path: &Path) -> rusqlite::Result<i64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key(7).to_hex().as_str()))?;
    conn.query_row("SELECT count(*) FROM visit_index", [], |r| r.get(0))
}

/// A copy of the store at `from`, as a store made before the format was chosen: SQLCipher's
/// defaults (`sqlcipher_export` into a file keyed with the same key).
fn legacy_copy(from: &Path, to: &Path) {
    let conn = raw_connection(from);
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    let attach = format!("ATTACH DATABASE ?1 AS legacy KEY \"x'{}'\"", key(7).to_hex().as_str());
    conn.execute(&attach, [to.to_str().unwrap()]).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA legacy.cipher_page_size = {LEGACY_PAGE_SIZE}; PRAGMA legacy.cipher_hmac_algorithm = HMAC_SHA512;"
    ))
    .unwrap();
    conn.query_row("SELECT sqlcipher_export('legacy')", [], |_| Ok(())).unwrap();
    conn.execute_batch(&format!("PRAGMA legacy.user_version = {version}; DETACH DATABASE legacy;")).unwrap();
}

#[test]
fn a_new_store_is_made_with_the_larger_pages_and_hmac_sha256() {
    let dir = tempfile::tempdir().unwrap();
    drop(demo_store(&dir));
    assert_eq!(PAGE_SIZE, 8192);
    assert_eq!(page_size(&db_path(&dir)), PAGE_SIZE);
    let hmac: String =
        raw_connection(&db_path(&dir)).query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0)).unwrap();
    assert_eq!(hmac, "HMAC_SHA256");
    // Not readable as SQLCipher's defaults would read it: both are part of the file's format.
    assert!(read_with_sqlcipher_defaults(&db_path(&dir)).is_err());
}

#[test]
fn a_store_made_with_sqlcipher_defaults_opens_reads_and_takes_writes_in_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = demo_store(&dir);
    drop(store);
    let legacy = dir.path().join("legacy.db");
    legacy_copy(&db_path(&dir), &legacy);
    let visits = read_with_sqlcipher_defaults(&legacy).expect("the copy is in the earlier format");
    assert!(visits > 0);

    let (day, offset) = demo_day();
    let mut store = Store::open(&legacy, &key(7)).expect("a store in the earlier format opens");
    assert_eq!(store.visits_on_day(day, offset).unwrap().len(), 3);
    load(&mut store, &forms::data_set(40)); // writes: documents, their index rows, a commit or more
    drop(store);

    assert_eq!(page_size(&legacy), LEGACY_PAGE_SIZE, "written in its own format, not converted");
    assert!(read_with_sqlcipher_defaults(&legacy).unwrap() > visits, "the new visits are in it");
    let mut store = Store::open(&legacy, &key(7)).unwrap();
    assert_eq!(store.visits_on_day(day, offset).unwrap().len(), 3);
    let report = store.check_integrity().unwrap();
    assert!(report.is_clean() && report.documents > 40, "{report:?}");
}

#[test]
fn a_wrong_key_is_refused_in_either_format() {
    let dir = tempfile::tempdir().unwrap();
    drop(demo_store(&dir));
    let legacy = dir.path().join("legacy.db");
    legacy_copy(&db_path(&dir), &legacy);
    for path in [db_path(&dir), legacy.clone()] {
        let err = Store::open(&path, &key(8)).err().expect("a wrong key must fail");
        assert!(matches!(err, StoreError::WrongKey), "{err:?}");
        // The failed attempts changed nothing: the right key still opens it, in its format.
        let (day, offset) = demo_day();
        assert_eq!(Store::open(&path, &key(7)).unwrap().visits_on_day(day, offset).unwrap().len(), 3);
    }
    assert_eq!(page_size(&legacy), LEGACY_PAGE_SIZE);
}
