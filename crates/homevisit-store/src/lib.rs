//! The device's local store: every homevisit document, encrypted at rest with SQLCipher.
//!
//! - Each document is a compacted Automerge snapshot plus incremental change chunks; chunks are
//!   folded into a new snapshot once they outgrow it. A chunk that fails to load is reported and
//!   skipped (the rest of the document and every other document still load) and is moved to
//!   `quarantined_chunks`, never deleted.
//! - Query tables (today's visits, a family's visits, counts per school and educator, unsynced
//!   documents) are kept current in the same transaction as each change, and rebuilt from the
//!   documents when their layout changes.
//! - Every accepted write is durable when the call returns: one SQLite transaction in WAL mode.
//!   By default ([`Durability::Crash`]) the commit is in the operating system before the call
//!   returns, so it survives the app being killed or crashing (kill -9); [`Durability::PowerLoss`]
//!   also waits for the disk (fsync) on every commit, so it survives a sudden power cut too.
//!
//! The store owns the database file and nothing else: no network, no key storage, no UI.

mod documents;
mod error;
pub mod exit_gate;
mod export;
#[cfg(feature = "fault-injection")]
pub mod fault;
mod index;
mod key;
mod migrations;
mod parallel;
mod queries;
mod sqlcipher;
mod sync_state;
mod visits;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use automerge::{ActorId, AutoCommit};
use homevisit_docs::DocId;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use documents::{Applied, CorruptChunk, Incoming, IntegrityReport, Received};
pub use error::{Result, StoreError};
pub use homevisit_docs::Scope;
pub use key::DbKey;
pub use migrations::LATEST as SCHEMA_VERSION;
pub use queries::{EducatorCount, SchoolCount, VisitSummary};
pub use sqlcipher::{EncryptedConnection, open_encrypted};
pub use visits::VisitImport;

/// An open store. Not `Sync`: one writer per database; wrap it in a mutex to share.
pub struct Store {
    conn: EncryptedConnection,
    path: PathBuf,
    /// This device's Automerge actor, the same for every document it edits.
    actor: ActorId,
    /// Recently used documents, so an edit does not reload its document from disk.
    cache: HashMap<DocId, AutoCommit>,
    /// Chunks found corrupt while loading documents in this session.
    corrupt: Vec<CorruptChunk>,
    /// Documents a peer is sending that have no content yet (stored once their changes arrive).
    incoming: HashMap<DocId, AutoCommit>,
    /// Documents about to arrive whole, already loaded (with the bytes they were loaded from).
    preloaded: HashMap<DocId, (Vec<u8>, AutoCommit)>,
    /// How many loaded documents `cache` may hold before it is emptied.
    cache_capacity: usize,
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How far an accepted write is guaranteed to survive once the call returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Survives the app being killed or crashing (WAL, `synchronous=NORMAL`, Android's default
    /// for WAL databases). A sudden power cut may roll back the last moments of edits; it never
    /// corrupts the store.
    #[default]
    Crash,
    /// Also survives a sudden power cut: every commit waits for the disk (`synchronous=FULL`).
    /// Costs an fsync per edit (about 3x the edit latency on the benchmark machine).
    PowerLoss,
}

/// How to open a store.
#[derive(Clone, Copy, Debug)]
pub struct StoreOptions {
    pub durability: Durability,
    /// Loaded documents kept in memory (a notes document with its text is tens of KB loaded).
    /// A phone edits a few documents at a time; a relay touches each document once per sync and
    /// keeps few.
    pub cache_documents: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { durability: Durability::default(), cache_documents: 512 }
    }
}

/// Bump when the query tables' content changes: the next open rebuilds them from the documents.
const INDEX_VERSION: i64 = 2; // 2: doc_scopes, and only documents that pass homevisit_docs::check

impl Store {
    /// Opens (or creates) the encrypted store at `path` with `key`.
    ///
    /// A wrong key, or a file that is not a homevisit store, is [`StoreError::WrongKey`]; it never
    /// opens as an empty store.
    pub fn open(path: impl AsRef<Path>, key: &DbKey) -> Result<Store> {
        Self::open_with(path, key, StoreOptions::default())
    }

    /// Opens (or creates) the store with explicit options.
    pub fn open_with(path: impl AsRef<Path>, key: &DbKey, options: StoreOptions) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if starts_with_plain_sqlite_header(&path) {
            return Err(StoreError::Unencrypted);
        }
        // Opening runs queries (migrations, the query tables): all of it before exit tears down SQLCipher.
        let _opening = exit_gate::enter().ok_or_else(sqlcipher::exiting)?;
        let mut conn = connect(&path, key)?;
        let synchronous = match options.durability {
            Durability::Crash => "NORMAL",
            Durability::PowerLoss => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)?;
        migrations::migrate(&mut conn)?;

        let actor = device_actor(&conn)?;
        let mut store = Store {
            conn,
            path,
            actor,
            cache: HashMap::new(),
            corrupt: Vec::new(),
            incoming: HashMap::new(),
            preloaded: HashMap::new(),
            cache_capacity: options.cache_documents.max(1),
        };
        let index_version: Option<i64> =
            store.conn.query_row("SELECT value FROM meta WHERE key = 'index_version'", [], |r| r.get(0)).optional()?;
        if index_version != Some(INDEX_VERSION) {
            store.rebuild_query_tables()?;
            store.conn.execute(
                "INSERT INTO meta (key, value) VALUES ('index_version', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [INDEX_VERSION],
            )?;
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This device's Automerge actor id.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }
}

/// Opens a connection to the encrypted database and checks the key.
fn connect(path: &Path, key: &DbKey) -> Result<EncryptedConnection> {
    let conn = sqlcipher::open_encrypted(
        path,
        key,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The first read of the schema fails with SQLITE_NOTADB under a wrong key.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

fn starts_with_plain_sqlite_header(path: &Path) -> bool {
    let mut header = [0u8; 16];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header)).is_ok() && &header == SQLITE_HEADER
}

/// The device's actor id, made once per store.
fn device_actor(conn: &Connection) -> Result<ActorId> {
    let existing: Option<Vec<u8>> =
        conn.query_row("SELECT value FROM meta WHERE key = 'actor_id'", [], |r| r.get(0)).optional()?;
    if let Some(bytes) = existing {
        return Ok(ActorId::from(bytes));
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| StoreError::Random)?;
    conn.execute("INSERT INTO meta (key, value) VALUES ('actor_id', ?1)", [&bytes[..]])?;
    Ok(ActorId::from(&bytes[..]))
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Small device settings kept inside the encrypted store (for example which relay the device
/// syncs with and its device token, which must never sit in a plain file).
impl Store {
    pub fn setting(&self, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [format!("setting:{name}")], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&mut self, name: &str, value: Option<&str>) -> Result<()> {
        let key = format!("setting:{name}");
        match value {
            Some(v) => self.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                rusqlite::params![key, v],
            )?,
            None => self.conn.execute("DELETE FROM meta WHERE key = ?1", [key])?,
        };
        Ok(())
    }
}
