//! The device's data directory: created private, the store opened in it, and the wipe that deletes
//! the store with every file SQLite keeps beside it.

use std::path::Path;

use homevisit_store::{DbKey, Store};

use super::error::{SessionError, io};

/// The store's file in a device's data directory.
pub const STORE_FILE: &str = "homevisit.db";

/// The store file and its SQLite companions: the write-ahead log and its shared-memory index
/// (WAL mode) and the rollback journal. A wipe that left one behind would leave pages of the
/// store, encrypted but recoverable with the key, on disk.
pub const STORE_FILE_SUFFIXES: [&str; 4] = ["", "-wal", "-shm", "-journal"];

/// Creates `dir` (and missing parents) readable by this user only (0700 on unix). A directory
/// that already exists is left as it is.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Opens (or creates) the device's encrypted store in `data_dir`, creating the directory private.
pub fn open_store(data_dir: &Path, key: &DbKey) -> Result<Store, SessionError> {
    create_private_dir(data_dir).map_err(io("create the data directory"))?;
    Ok(Store::open(data_dir.join(STORE_FILE), key)?)
}

/// Deletes the store's files from `data_dir` (credentials and every document). The caller has
/// closed the store first. Files already gone are fine; other files in the directory stay.
pub fn wipe(data_dir: &Path) -> Result<(), SessionError> {
    for suffix in STORE_FILE_SUFFIXES {
        let name = format!("{STORE_FILE}{suffix}");
        match std::fs::remove_file(data_dir.join(&name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(format!("delete {name}"))(e)),
            _ => {}
        }
    }
    Ok(())
}
