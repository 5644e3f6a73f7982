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
/// every page written costs its encryption, its HMAC and its write whatever it holds.
pub const PAGE_SIZE: u32 = 8192;

/// The HMAC every page of a file this creates is authenticated with (SQLCipher's default is
/// HMAC-SHA512). On this machine OpenSSL hashes 1.7 GB/s with SHA-256 (the CPU's SHA
/// instructions) and 0.8 GB/s with SHA-512, which x86 has no instructions for; ARMv8 phones have
/// SHA-256 instructions too. A page's tag is still 256 bits: a forged page is refused.
const HMAC: &str = "HMAC_SHA256";

/// The page size of files made with SQLCipher's defaults, as every file was before [`PAGE_SIZE`]
/// and [`HMAC`] were chosen: still opened, read and written as they are.
pub const LEGACY_PAGE_SIZE: u32 = 4096;

/// How an encrypted file is laid out. SQLCipher cannot read this from an encrypted file: it is
/// part of how the file is opened. W1 at N=1000 (the README), alternating runs of one build: the
/// larger pages took the first download of 1,000 visits from 239 to 194 ms and their upload from
/// 242 to 217 ms; SHA-256 then took about 6% more off each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// [`PAGE_SIZE`] pages authenticated with [`HMAC`]: every new file.
    Current,
    /// SQLCipher 4's defaults: files made before.
    Legacy,
}

/// Opens `path` (creating it if `flags` allow) and keys it with `key` as a raw 256-bit SQLCipher
/// key, in the current format, or in SQLCipher's defaults for a file made with those. A new
/// (empty) file gets the current format. The key is checked: a file that reads in neither format
/// (a wrong key, or not a database) is the error of its first read (`SQLITE_NOTADB`), never an
/// open connection.
pub fn open_encrypted(path: &Path, key: &DbKey, flags: OpenFlags) -> rusqlite::Result<EncryptedConnection> {
    initialise_once()?;
    let _open = exit_gate::enter().ok_or_else(exiting)?;
    if flags.contains(OpenFlags::SQLITE_OPEN_CREATE) {
        create_private(path);
    }
    let conn = keyed(path, key, flags, Format::Current)?;
    let Err(unreadable) = read_schema(&conn) else { return Ok(conn) };
    // Not readable in the current format: a file made before, or a wrong key (or not a
    // database), which fails in either and is answered with the current format's error.
    let legacy = keyed(path, key, flags, Format::Legacy)?;
    read_schema(&legacy).map(|()| legacy).map_err(|_| unreadable)
}

/// Reads the schema through `conn`, which decrypts and authenticates the first page.
fn read_schema(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).map(drop)
}

/// A connection to `path` keyed with `key`, in `format`.
fn keyed(path: &Path, key: &DbKey, flags: OpenFlags, format: Format) -> rusqlite::Result<EncryptedConnection> {
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
    // After the key, before the first read. (Both formats named in full: a process-wide default
    // set elsewhere would change neither.)
    let (page_size, hmac) = match format {
        Format::Current => (PAGE_SIZE, HMAC),
        Format::Legacy => (LEGACY_PAGE_SIZE, "HMAC_SHA512"),
    };
    conn.execute_batch(&format!("PRAGMA cipher_page_size = {page_size}; PRAGMA cipher_hmac_algorithm = {hmac};"))?;
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
