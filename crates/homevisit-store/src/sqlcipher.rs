//! Opening a SQLCipher-encrypted SQLite file: the one place that initialises SQLCipher and keys a
//! connection, used by the device store and by the relay's embedded access database.

use std::os::raw::c_int;
use std::path::Path;
use std::sync::OnceLock;

use rusqlite::{ffi, Connection, OpenFlags};

use crate::DbKey;

/// Opens `path` (creating it if `flags` allow) and keys it with `key` as a raw 256-bit SQLCipher
/// key. The key is not checked here: the first read of the schema fails under a wrong key.
pub fn open_encrypted(path: &Path, key: &DbKey, flags: OpenFlags) -> rusqlite::Result<Connection> {
    initialise_once()?;
    let conn = Connection::open_with_flags(path, flags)?;
    // SQLCipher logs failed page decryption to stderr; callers report a typed error instead.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    // The x'..' form: no passphrase derivation, the key is already random.
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.to_hex()))?;
    Ok(conn)
}

/// Runs `sqlite3_initialize` to completion exactly once, before any connection is opened.
///
/// SQLite marks itself initialised *before* it runs SQLCipher's extra-init hook, so a second
/// thread opening its first connection at the same moment skips initialisation, finds SQLCipher
/// not yet ready, and its `PRAGMA key` fails ("sqlcipher not initialized"). This was seen as a
/// rare failure when two stores opened concurrently at process start (about 1 process in 200 with
/// 8 threads). The same race is described for SQLite3MultipleCiphers (utelle/SQLite3MultipleCiphers#194).
fn initialise_once() -> rusqlite::Result<()> {
    static INITIALISED: OnceLock<c_int> = OnceLock::new();
    // SAFETY: sqlite3_initialize takes no arguments and may be called at any time; OnceLock makes
    // every other caller wait until this first call has returned.
    let rc = *INITIALISED.get_or_init(|| unsafe { ffi::sqlite3_initialize() });
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some("SQLCipher failed to initialise".into())))
    }
}
