//! Opening a SQLCipher-encrypted SQLite file: the one place that initialises SQLCipher, keys a
//! connection, and keeps connections from opening or closing while the process exits. Used by
//! the device store and by the relay's embedded access database.

use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::os::raw::c_int;
use std::path::Path;
use std::sync::OnceLock;

use rusqlite::{Connection, OpenFlags, ffi};

use crate::DbKey;
use crate::exit_gate;

/// A keyed SQLCipher connection. It derefs to the rusqlite [`Connection`]; dropping it closes the
/// file, except while the process is exiting (see [`crate::exit_gate`]).
pub struct EncryptedConnection(ManuallyDrop<Connection>);

/// The page size of every database file this creates (SQLCipher's default is 4 KiB). A visit's
/// notes document is 2 to 3 KB: at 4 KiB a page held one, a third of the page left empty, and
/// every page written costs its encryption, its HMAC and its write whatever it holds. At 8 KiB a
/// first download of 1,000 visits wrote a quarter fewer bytes and took a fifth less time (W1,
/// the README). SQLCipher cannot read the page size from an encrypted file: it is part of how the
/// file is opened, so files made before keep theirs ([`LEGACY_PAGE_SIZE`]).
pub const PAGE_SIZE: u32 = 8192;

/// The page size of files made before [`PAGE_SIZE`] was raised (SQLCipher's default): still
/// opened, read and written as they are.
pub const LEGACY_PAGE_SIZE: u32 = 4096;

/// Opens `path` (creating it if `flags` allow) and keys it with `key` as a raw 256-bit SQLCipher
/// key, with [`PAGE_SIZE`], or [`LEGACY_PAGE_SIZE`] for a file made with that. A new (empty)
/// file gets [`PAGE_SIZE`]. The key is not checked here: the first read of the schema fails under
/// a wrong key (whichever size the file was opened with then).
pub fn open_encrypted(path: &Path, key: &DbKey, flags: OpenFlags) -> rusqlite::Result<EncryptedConnection> {
    initialise_once()?;
    let _open = exit_gate::enter().ok_or_else(exiting)?;
    if flags.contains(OpenFlags::SQLITE_OPEN_CREATE) {
        create_private(path);
    }
    let conn = keyed(path, key, flags, PAGE_SIZE)?;
    if readable(&conn) {
        return Ok(conn);
    }
    // Not readable at PAGE_SIZE: a file made at the legacy size, or a wrong key (or not a
    // database), which fails at either size. Tried once more at the legacy size; if that does not
    // read either, the first connection is the one returned, for the caller's read to fail on.
    let legacy = keyed(path, key, flags, LEGACY_PAGE_SIZE)?;
    Ok(if readable(&legacy) { legacy } else { conn })
}

/// Whether the schema reads through `conn` (it decrypts and authenticates the first page).
fn readable(conn: &Connection) -> bool {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).is_ok()
}

/// A connection to `path` keyed with `key`, its pages `page_size` bytes.
fn keyed(path: &Path, key: &DbKey, flags: OpenFlags, page_size: u32) -> rusqlite::Result<EncryptedConnection> {
    let conn = Connection::open_with_flags(path, flags)?;
    // SQLCipher logs failed page decryption to stderr; callers report a typed error instead.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    // The x'..' form: no passphrase derivation, the key is already random.
    // The statement holds the key in hex: wiped once SQLite has it (sized up front, so no
    // reallocation leaves a copy behind).
    let mut pragma = zeroize::Zeroizing::new(String::with_capacity(96));
    pragma.push_str("PRAGMA key = \"x'");
    pragma.push_str(&key.to_hex());
    pragma.push_str("'\";");
    conn.execute_batch(&pragma)?;
    // After the key, before the first read (a number: no quoting needed).
    conn.execute_batch(&format!("PRAGMA cipher_page_size = {page_size};"))?;
    Ok(EncryptedConnection(ManuallyDrop::new(conn)))
}

/// An SQLite database in memory only (no file, so no key), behind the same exit gate as a file's.
pub(crate) fn open_memory() -> rusqlite::Result<EncryptedConnection> {
    initialise_once()?;
    let _open = exit_gate::enter().ok_or_else(exiting)?;
    Ok(EncryptedConnection(ManuallyDrop::new(Connection::open_in_memory()?)))
}

/// Creates a missing database file empty, readable by this user only (0600 on unix), before
/// SQLite opens it: SQLite would create it 0644 (less the umask), and its `-wal` and `-shm` files
/// take the database file's mode. Best effort: if this fails, opening reports the error.
fn create_private(path: &Path) {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let _ = options.open(path);
}

impl Deref for EncryptedConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.0
    }
}

impl DerefMut for EncryptedConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.0
    }
}

impl Drop for EncryptedConnection {
    fn drop(&mut self) {
        // While the process exits SQLCipher is being torn down: the connection is left as a crash
        // would leave it (every commit is already in the WAL), not closed against freed state.
        if let Some(_closing) = exit_gate::enter() {
            // SAFETY: dropped exactly once, here, and never used again.
            unsafe { ManuallyDrop::drop(&mut self.0) }
        }
    }
}

pub(crate) fn exiting() -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_MISUSE), Some("the process is exiting".into()))
}

/// Runs `sqlite3_initialize` to completion exactly once, before any connection is opened, then
/// installs the exit gate (so it runs before SQLCipher's own exit handler, installed during init).
///
/// SQLite marks itself initialised *before* it runs SQLCipher's extra-init hook, so a second
/// thread opening its first connection at the same moment skips initialisation, finds SQLCipher
/// not yet ready, and its `PRAGMA key` fails ("sqlcipher not initialized"). This was seen as a
/// rare failure when two stores opened concurrently at process start (about 1 process in 200 with
/// 8 threads). The same race is described for SQLite3MultipleCiphers (utelle/SQLite3MultipleCiphers#194).
fn initialise_once() -> rusqlite::Result<()> {
    static INITIALISED: OnceLock<c_int> = OnceLock::new();
    let rc = *INITIALISED.get_or_init(|| {
        // SAFETY: sqlite3_initialize takes no arguments and may be called at any time; OnceLock
        // makes every other caller wait until this first call has returned.
        let rc = unsafe { ffi::sqlite3_initialize() };
        exit_gate::install();
        rc
    });
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some("SQLCipher failed to initialise".into())))
    }
}
