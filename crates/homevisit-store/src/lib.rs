//! The document store: every homevisit document, encrypted at rest with SQLCipher, and, on top,
//! the phone's layer.
//!
//! Two layers, one file each side of [`Index`]:
//! - The document store ([`Store<I>`], for any index `I`): snapshots and change chunks,
//!   compaction, quarantine, loading and merging received bytes strictly, sync states and marks,
//!   batches. It knows no screen and no access rule. After every change it hands the document's
//!   checked content to its index `I`, in the same transaction: the index keeps its own tables.
//! - The phone's layer ([`Store`] = `Store<PhoneIndex>`): visits, roster, notes, the screens'
//!   queries, the data reports read, settings. Its tables are [`PhoneIndex`]'s. The relay uses the document
//!   store with an index of its own (the scopes it decides access on), so no change to a phone
//!   screen's table can change who the relay lets read what.
//!
//! - Each document is a compacted Automerge snapshot plus incremental change chunks; chunks are
//!   folded into a new snapshot once they outgrow it. A chunk that fails to load is reported and
//!   skipped (the rest of the document and every other document still load) and is moved to
//!   `quarantined_chunks`, never deleted.
//! - Query tables (today's visits, a family's visits, the roster, unsynced documents) are kept
//!   current in the same transaction as each change, and rebuilt from the documents when their
//!   layout changes.
//! - Every accepted write is durable when the call returns: one SQLite transaction in WAL mode.
//!   By default ([`Durability::Crash`]) the commit is in the operating system before the call
//!   returns, so it survives the app being killed or crashing (kill -9); [`Durability::PowerLoss`]
//!   also waits for the disk (fsync) on every commit, so it survives a sudden power cut too.
//!
//! The store owns the database file and nothing else: no network, no key storage, no UI.

mod consent;
mod documents;
mod error;
pub mod exit_gate;
mod export;
#[cfg(feature = "fault-injection")]
pub mod fault;
mod index;
mod key;
mod migrations;
pub mod parallel;
mod phone_index;
mod prompts;
mod purge;
mod queries;
pub mod received_whole;
mod report_data;
mod settings;
mod sqlcipher;
mod sync_state;
mod visits;

use std::collections::HashMap;
use std::io::Read;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use automerge::{ActorId, AutoCommit};
use homevisit_docs::DocId;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

pub use documents::{Applied, CorruptChunk, Incoming, IntegrityReport, Received};
pub use error::{Result, StoreError};
pub use homevisit_docs::Scope;
pub use index::Index;
pub use key::DbKey;
pub use migrations::LATEST as SCHEMA_VERSION;
pub use phone_index::PhoneIndex;
pub use queries::VisitSummary;
pub use sqlcipher::{EncryptedConnection, LEGACY_PAGE_SIZE, PAGE_SIZE, open_encrypted};
pub use sync_state::{InvalidPeerId, PeerId, shared_sync_state};
pub use visits::VisitImport;

/// An open store whose index is `I` (by default the phone's). Not `Sync`: one writer per
/// database; wrap it in a mutex to share.
pub struct Store<I: Index = PhoneIndex> {
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
    /// Documents about to arrive whole, already worked on (loaded, or checked if new).
    preloaded: received_whole::WorkedAhead,
    /// How many loaded documents `cache` may hold before it is emptied.
    cache_capacity: usize,
    index: PhantomData<fn() -> I>,
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
    /// SQLite's page cache, in KiB (`None`: SQLite's default, 2 MB, ample for a phone). Every
    /// page read past it is read from the file and decrypted again: a relay whose indexes are
    /// walked by hundreds of devices keeps more of them in memory.
    pub page_cache_kib: Option<u32>,
    /// WAL pages past which a commit also copies the WAL into the database file (a checkpoint;
    /// `None`: SQLite's 1,000). A relay raises it and checkpoints in its quiet moments
    /// ([`Store::checkpoint_wal`]), so the copying is not done inside a device's request.
    pub wal_autocheckpoint_pages: Option<u32>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            durability: Durability::default(),
            cache_documents: 512,
            page_cache_kib: None,
            wal_autocheckpoint_pages: None,
        }
    }
}

impl Store {
    /// Opens (or creates) the phone's encrypted store at `path` with `key`.
    ///
    /// A wrong key, or a file that is not a homevisit store, is [`StoreError::WrongKey`]; it never
    /// opens as an empty store.
    pub fn open(path: impl AsRef<Path>, key: &DbKey) -> Result<Store> {
        Self::open_with(path, key, StoreOptions::default())
    }

    /// Opens (or creates) the phone's store with explicit options.
    pub fn open_with(path: impl AsRef<Path>, key: &DbKey, options: StoreOptions) -> Result<Store> {
        Store::open_indexed(path, key, options)
    }
}

impl<I: Index> Store<I> {
    /// Opens (or creates) an encrypted store at `path` whose index is `I`.
    pub fn open_indexed(path: impl AsRef<Path>, key: &DbKey, options: StoreOptions) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if starts_with_plain_sqlite_header(&path) {
            return Err(StoreError::Unencrypted);
        }
        // Opening runs queries (migrations, the query tables): all of it before exit tears down SQLCipher.
        let _opening = exit_gate::enter().ok_or_else(sqlcipher::exiting)?;
        let conn = connect(&path, key)?;
        let synchronous = match options.durability {
            Durability::Crash => "NORMAL",
            Durability::PowerLoss => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)?;
        if let Some(kib) = options.page_cache_kib {
            conn.pragma_update(None, "cache_size", -i64::from(kib))?;
        }
        if let Some(pages) = options.wal_autocheckpoint_pages {
            conn.pragma_update(None, "wal_autocheckpoint", pages)?;
        }
        Self::ready(conn, path, options)
    }

    /// A store in memory only, gone when it is dropped (nothing reaches a disk, so nothing is
    /// encrypted): scratch space, e.g. for building an import's documents.
    pub fn in_memory() -> Result<Self> {
        let _opening = exit_gate::enter().ok_or_else(sqlcipher::exiting)?;
        Self::ready(sqlcipher::open_memory()?, PathBuf::from(":memory:"), StoreOptions::default())
    }

    /// Migrates a fresh connection (the document store's tables, then the index's) and rebuilds
    /// the index's tables if what it writes has changed.
    fn ready(mut conn: EncryptedConnection, path: PathBuf, options: StoreOptions) -> Result<Self> {
        migrations::migrate(&mut conn)?;
        migrations::migrate_index::<I>(&mut conn)?;
        let actor = device_actor(&conn)?;
        let mut store = Store {
            conn,
            path,
            actor,
            cache: HashMap::new(),
            corrupt: Vec::new(),
            incoming: HashMap::new(),
            preloaded: received_whole::WorkedAhead::default(),
            cache_capacity: options.cache_documents.max(1),
            index: PhantomData,
        };
        let key = format!("index_version:{}", I::NAME);
        let built: Option<i64> =
            store.conn.query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| r.get(0)).optional()?;
        if built != Some(I::VERSION) {
            store.rebuild_index()?;
            store.conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                rusqlite::params![key, I::VERSION],
            )?;
        }
        Ok(store)
    }

    /// The connection, for the index's layer to read and write its own tables (inside this
    /// store's transactions: see [`Store::batch`]). Never for the document store's tables.
    pub fn index_tables(&self) -> &Connection {
        &self.conn
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// This device's Automerge actor id.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Copies what the WAL holds into the database file, without waiting for readers (a passive
    /// checkpoint). Returns the WAL's frames and how many of them are now in the file.
    pub fn checkpoint_wal(&self) -> Result<(u64, u64)> {
        let (log, done): (i64, i64) =
            self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(1)?, r.get(2)?)))?;
        Ok((log.max(0) as u64, done.max(0) as u64))
    }
}

/// Prepared statements kept per connection: more than the store and the relay's index use
/// (about 80 distinct statements, a few KB each).
const STATEMENT_CACHE: usize = 128;

/// Opens a connection to the encrypted database and checks the key.
fn connect(path: &Path, key: &DbKey) -> Result<EncryptedConnection> {
    let conn = sqlcipher::open_encrypted(
        path,
        key,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?; // fails with SQLITE_NOTADB under a wrong key
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // rusqlite keeps 16 prepared statements by default; a sync round uses more than that (the
    // relay's candidate scan, the document, state, mark and index writes), so each round threw
    // statements away and prepared them again (6% of the relay's time answering a page).
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
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
