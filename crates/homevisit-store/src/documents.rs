//! Persisting documents: snapshot + change chunks, compaction, the in-memory cache, and isolating
//! corrupt chunks.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{Message, State};
use automerge::{AutoCommit, Change, ChangeHash};
use homevisit_docs::{Content, DocError, DocId, DocKind, untrusted};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, StoreError};
use crate::received_whole::{self, ReceivedWhole};
use crate::{Index, Store, index, now_ms};

/// A stored change chunk that could not be read. Its document loads without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorruptChunk {
    pub doc: DocId,
    pub seq: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    pub documents: usize,
    pub corrupt_chunks: Vec<CorruptChunk>,
    /// Documents whose snapshot itself is unreadable (nothing of them could be loaded).
    pub unreadable: Vec<DocId>,
}

impl IntegrityReport {
    pub fn is_clean(&self) -> bool {
        self.corrupt_chunks.is_empty() && self.unreadable.is_empty()
    }
}

pub(crate) fn encode_heads(mut heads: Vec<ChangeHash>) -> Vec<u8> {
    heads.sort();
    heads.iter().flat_map(|h| h.0).collect()
}

pub(crate) fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes.chunks_exact(32).map(|c| ChangeHash(c.try_into().expect("chunks of 32"))).collect()
}

/// Loads a document from its snapshot and chunks. Unreadable chunks are skipped and pushed to
/// `corrupt`; an unreadable snapshot is an error. Every Automerge call is contained: a stored chunk
/// that makes Automerge panic (bytes accepted before they were checked) is treated as unreadable,
/// and the document is loaded again without it, since the panic may have left it half-changed.
fn load_from_disk(conn: &Connection, id: &DocId, corrupt: &mut Vec<CorruptChunk>) -> Result<AutoCommit> {
    let key = id.to_string();
    let snapshot: Vec<u8> = conn
        .prepare_cached("SELECT data FROM doc_snapshots WHERE doc_id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound(*id))?;
    let mut chunks: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT seq, data FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([&key])?;
    while let Some(row) = rows.next()? {
        chunks.push((row.get(0)?, row.get(1)?));
    }
    let mut crashed = BTreeSet::new();
    'load: loop {
        let mut doc = homevisit_docs::load(&snapshot).map_err(StoreError::doc(*id))?;
        for (seq, data) in chunks.iter().filter(|(seq, _)| !crashed.contains(seq)) {
            // Each chunk is exactly one change; parsing verifies its checksum. (Automerge's own
            // load_incremental skips unreadable data silently, which would hide damage.)
            match untrusted::parse_change(data).and_then(|change| untrusted::apply_changes(&mut doc, vec![change])) {
                Ok(()) => {}
                Err(DocError::Crashed { .. }) => {
                    crashed.insert(*seq);
                    corrupt.push(CorruptChunk { doc: *id, seq: *seq });
                    continue 'load;
                }
                Err(_) => corrupt.push(CorruptChunk { doc: *id, seq: *seq }),
            }
        }
        return Ok(doc);
    }
}

/// Appends `changes` (those since the last persisted state, one chunk each) for a document, or
/// folds everything into a new snapshot once the chunks outgrow it, and updates the query tables
/// and its scope with `rows` (its checked content); all in the caller's transaction.
fn persist_changes<I: Index>(
    conn: &Connection,
    id: &DocId,
    doc: &mut AutoCommit,
    changes: &mut [Change],
    had_corrupt: bool,
    rows: &Content,
) -> Result<()> {
    let key = id.to_string();
    let heads = encode_heads(doc.get_heads());
    let (snapshot_len, chunk_bytes, next_seq): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT snapshot_len, chunk_bytes,
                    (SELECT coalesce(max(seq), 0) + 1 FROM doc_chunks WHERE doc_id = ?1)
             FROM documents WHERE doc_id = ?1",
        )?
        .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or(StoreError::NotFound(*id))?;
    let chunks: Vec<Vec<u8>> = changes.iter_mut().map(|c| c.bytes().into_owned()).collect();
    let added: i64 = chunks.iter().map(|c| c.len() as i64).sum();
    // Compacting replaces the snapshot: only with one that is checked to load again (a document
    // holding a crafted change can save what it cannot load); else the chunks are kept as they are.
    let compacted = (chunk_bytes + added > snapshot_len).then(|| untrusted::save_verified(doc).ok()).flatten();
    if let Some(snapshot) = compacted {
        if had_corrupt {
            // Keep every chunk of a damaged document: nothing stored is ever thrown away.
            conn.execute(
                "INSERT OR IGNORE INTO quarantined_chunks (doc_id, seq, data, moved_at)
                 SELECT doc_id, seq, data, ?2 FROM doc_chunks WHERE doc_id = ?1",
                params![key, now_ms()],
            )?;
        }
        conn.prepare_cached("DELETE FROM doc_chunks WHERE doc_id = ?1")?.execute([&key])?;
        conn.prepare_cached("UPDATE doc_snapshots SET data = ?2 WHERE doc_id = ?1")?.execute(params![key, snapshot])?;
        conn.prepare_cached(
            "UPDATE documents SET snapshot_len = ?2, chunk_bytes = 0, heads = ?3, updated_at = ?4 WHERE doc_id = ?1",
        )?
        .execute(params![key, snapshot.len() as i64, heads, now_ms()])?;
    } else {
        let mut insert = conn.prepare_cached("INSERT INTO doc_chunks (doc_id, seq, data) VALUES (?1, ?2, ?3)")?;
        for (i, chunk) in chunks.iter().enumerate() {
            insert.execute(params![key, next_seq + i as i64, chunk])?;
        }
        conn.prepare_cached(
            "UPDATE documents SET chunk_bytes = chunk_bytes + ?2, heads = ?3, updated_at = ?4 WHERE doc_id = ?1",
        )?
        .execute(params![key, added, heads, now_ms()])?;
    }
    I::apply(conn, id, rows)
}

/// A new document made ready for storage: everything but the write itself, so preparing many
/// documents can run in parallel, off the database connection.
pub(crate) struct PreparedDoc {
    id: DocId,
    snapshot: Vec<u8>,
    heads: Vec<u8>,
    rows: Content,
}

impl PreparedDoc {
    /// Prepares `doc`; `rows` are its query-table rows when the caller already has the typed
    /// record (saves reading it back), else they are read from the document.
    ///
    /// A document made here is saved without Automerge's per-column deflate: it goes to the relay
    /// as stored, in a body deflated whole, which compresses it better (W1's upload body 14%
    /// smaller), and no receiver inflates its columns one by one (the relay's screen of notes,
    /// every load). Measured at N=1000, 5 alternating runs: the relay's upload CPU 350 -> 310 ms,
    /// creating 492 -> 465 ms. The compaction of an edited document (`save_verified`) still
    /// deflates: it is stored for long, and its bytes are larger.
    pub(crate) fn new(id: DocId, doc: &mut AutoCommit, rows: Option<Content>) -> Result<Self> {
        let rows = match rows {
            Some(rows) => rows,
            None => index::checked_content(&id, doc)?,
        };
        Ok(Self { id, snapshot: doc.save_nocompress(), heads: encode_heads(doc.get_heads()), rows })
    }

    /// Prepares a document received from elsewhere and changed here (its schema upgraded): its
    /// save is checked to load again before it becomes the snapshot.
    pub(crate) fn received_and_changed(id: DocId, doc: &mut AutoCommit, rows: Content) -> Result<Self> {
        let snapshot = untrusted::save_verified(doc).map_err(StoreError::doc(id))?;
        Ok(Self { id, snapshot, heads: encode_heads(doc.get_heads()), rows })
    }

    /// Prepares `doc`, strictly loaded from `saved` and checked (`rows`), keeping those bytes as
    /// its snapshot.
    pub(crate) fn received(id: DocId, doc: &mut AutoCommit, saved: &[u8], rows: Content) -> Self {
        Self { id, snapshot: saved.to_vec(), heads: encode_heads(doc.get_heads()), rows }
    }
}

fn insert_document<I: Index>(conn: &Connection, doc: &PreparedDoc) -> Result<()> {
    let (id, snapshot) = (&doc.id, &doc.snapshot);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO documents (doc_id, kind, snapshot_len, chunk_bytes, heads, updated_at)
             VALUES (?1, ?2, ?3, 0, ?4, ?5) ON CONFLICT (doc_id) DO NOTHING",
        )?
        .execute(params![id.to_string(), id.kind.as_str(), snapshot.len() as i64, doc.heads, now_ms()])?;
    if inserted == 0 {
        return Err(StoreError::Database(format!("document {id} already exists")));
    }
    conn.prepare_cached("INSERT INTO doc_snapshots (doc_id, data) VALUES (?1, ?2)")?
        .execute(params![id.to_string(), snapshot])?;
    I::apply(conn, id, &doc.rows)
}

/// Bytes from elsewhere for a document: how [`Store::apply_received`] is given them.
pub enum Incoming<'a> {
    /// A saved document (a snapshot, possibly followed by changes), merged whole.
    Whole(&'a [u8]),
    /// An Automerge sync message from the peer whose sync state `state` is.
    Sync { state: &'a mut State, message: Message },
}

/// A received document as it would be stored, for the caller to accept or refuse.
pub struct Received<'a> {
    pub doc: DocId,
    /// Its checked content ([`homevisit_docs::check`]): its ids agree with `doc`.
    pub content: &'a Content,
    /// Whether the document is new here.
    pub is_new: bool,
    /// Its heads before (none if new) and after, sorted.
    pub heads_before: Vec<ChangeHash>,
    pub heads_after: Vec<ChangeHash>,
}

/// What [`Store::apply_received`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Nothing new (a sync message may still have moved the sync state).
    Unchanged,
    /// New changes were checked, accepted and stored.
    Changed,
    /// A document new here that has no content yet (its changes have not arrived). Nothing is
    /// stored; it is held in memory until its changes come (or [`Store::discard_pending`]).
    Pending,
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

impl<I: Index> Store<I> {
    /// Loads `id` into the cache (from disk if needed), upgrading its schema, and returns it.
    pub(crate) fn cached(&mut self, id: &DocId) -> Result<&mut AutoCommit> {
        if !self.cache.contains_key(id) {
            let mut doc = load_from_disk(&self.conn, id, &mut self.corrupt)?;
            if id.kind == DocKind::VisitNotes && self.is_unloaded(id)? {
                // Stored as received: its heads were verified by the load; now its content.
                index::checked_content(id, &doc)?;
                self.conn
                    .prepare_cached("DELETE FROM unloaded_documents WHERE doc_id = ?1")?
                    .execute([id.to_string()])?;
            }
            doc.set_actor(self.actor.clone());
            let before = doc.get_heads();
            if homevisit_docs::upgrade(&mut doc, id.kind).map_err(StoreError::doc(*id))? {
                let rows = index::checked_content(id, &doc)?;
                let mut changes = doc.get_changes(&before);
                let had_corrupt = self.has_corrupt(id);
                let tx = self.conn.savepoint()?;
                persist_changes::<I>(&tx, id, &mut doc, &mut changes, had_corrupt, &rows)?;
                tx.commit()?;
            }
            self.remember(*id, doc);
        }
        Ok(self.cache.get_mut(id).expect("just inserted"))
    }

    fn is_unloaded(&self, id: &DocId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM unloaded_documents WHERE doc_id = ?1")?
            .query_row([id.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn has_corrupt(&self, id: &DocId) -> bool {
        self.corrupt.iter().any(|c| c.doc == *id)
    }

    /// Reads a document. Guarded like a write: a document holding crafted changes that make
    /// Automerge panic while it is read is an error about that document, never a crash (a phone's
    /// screen reads through here, and no panic may cross the FFI).
    pub(crate) fn read<R>(&mut self, id: &DocId, f: impl FnOnce(&AutoCommit) -> Result<R, DocError>) -> Result<R> {
        self.guarded(id, "read a document", |store| {
            let doc = store.cached(id)?;
            f(doc).map_err(StoreError::doc(*id))
        })
    }

    /// Runs `f` on this store for document `id`, turning a panic inside it (Automerge on crafted
    /// bytes, or a bug) into an error about that document. Safe to go on afterwards: every write
    /// runs in a rusqlite savepoint, which rolls back as the panic unwinds through it; a document
    /// being changed is owned by the failed call and dropped with it; and what this store holds in
    /// memory about `id` is forgotten here.
    fn guarded<R>(
        &mut self,
        id: &DocId,
        during: &'static str,
        f: impl FnOnce(&mut Store<I>) -> Result<R>,
    ) -> Result<R> {
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(result) => result,
            Err(_) => {
                self.forget_in_memory(id);
                Err(StoreError::doc(*id)(DocError::Crashed { during }))
            }
        }
    }

    /// Forgets what is held in memory about `id` (its next use reads the disk).
    pub(crate) fn forget_in_memory(&mut self, id: &DocId) {
        self.cache.remove(id);
        self.incoming.remove(id);
        self.preloaded.forget(id);
    }

    /// Applies `f` to a document and durably stores whatever it changed before returning.
    /// The result must pass [`homevisit_docs::check`]. If `f` fails, or the check, or the write,
    /// nothing is stored and the in-memory copy is dropped, so memory never holds an edit the disk
    /// does not.
    pub fn edit_document<R>(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut AutoCommit) -> Result<R, DocError>,
    ) -> Result<R> {
        self.guarded(id, "edit a document", |store| {
            let had_corrupt = store.has_corrupt(id);
            store.cached(id)?;
            let mut doc = store.cache.remove(id).expect("cached above");
            let before = doc.get_heads();
            let result = f(&mut doc).map_err(StoreError::doc(*id))?;
            let mut changes = doc.get_changes(&before);
            if !changes.is_empty() {
                let rows = index::checked_content(id, &doc)?;
                let tx = store.conn.savepoint()?;
                persist_changes::<I>(&tx, id, &mut doc, &mut changes, had_corrupt, &rows)?;
                tx.commit()?;
            }
            // Only a fully stored edit goes back into the cache; on any error above the in-memory
            // copy is dropped and the next read reloads what is on disk.
            store.cache.insert(*id, doc);
            Ok(result)
        })
    }

    /// Stores new documents in one transaction: all of them or none.
    pub(crate) fn insert_documents(&mut self, docs: &[PreparedDoc]) -> Result<()> {
        let tx = self.conn.savepoint()?;
        for doc in docs {
            insert_document::<I>(&tx, doc)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` as one database transaction: everything it writes is committed together when it
    /// returns `Ok` (and only then: `Ok` means committed), and nothing when it returns `Err` or
    /// panics. On either, the transaction is rolled back as the guard drops and the in-memory
    /// documents are forgotten, so memory never holds what the disk does not. A sync round uses
    /// this so hundreds of documents cost one commit, not hundreds.
    pub fn batch<R, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store<I>) -> std::result::Result<R, E>,
    ) -> std::result::Result<R, E> {
        if !self.conn.is_autocommit() {
            // A batch commits when it ends; inside another transaction it could not.
            return Err(StoreError::Database("a batch cannot run inside another transaction".into()).into());
        }
        self.conn.execute_batch("SAVEPOINT batch").map_err(StoreError::from)?;
        let mut guard = BatchGuard { store: self, open: true };
        let result = f(guard.store)?;
        guard.store.conn.execute_batch("RELEASE batch").map_err(StoreError::from)?;
        guard.open = false;
        if !guard.store.conn.is_autocommit() {
            return Err(StoreError::Database("the batch did not commit".into()).into());
        }
        Ok(result)
    }

    /// After a panic escaped a call on this store (a bug: writes are guarded): rolls back whatever
    /// transaction is open and forgets every document in memory, so the store is as on disk.
    pub fn recover_after_panic(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.forget_all_in_memory();
    }

    fn forget_all_in_memory(&mut self) {
        self.cache.clear();
        self.incoming.clear();
        self.preloaded.clear();
    }

    /// Keeps a document just stored in memory, as the next call is likely about it.
    pub(crate) fn remember(&mut self, id: DocId, doc: AutoCommit) {
        if self.cache.len() >= self.cache_capacity {
            crate::parallel::drop_beside(std::mem::take(&mut self.cache));
        }
        self.cache.insert(id, doc);
    }

    pub fn contains_document(&self, id: &DocId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM documents WHERE doc_id = ?1")?
            .query_row([id.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Merges Automerge bytes (a saved document or changes) received from elsewhere into the
    /// document `id`, creating it if this device has never seen it. Returns whether anything changed.
    pub fn merge_document_bytes(&mut self, id: &DocId, bytes: &[u8]) -> Result<bool> {
        Ok(self.apply_received(id, Incoming::Whole(bytes), |_, _| true)? == Applied::Changed)
    }

    /// Works on documents that are about to be merged whole ([`Store::merge_document_bytes`]) on
    /// every core (see [`received_whole`]): loading and checking are most of the cost of receiving
    /// a document. Replaces what an earlier call worked on; an empty list frees it. Bytes that fail
    /// are left for the merge to refuse.
    pub fn preload_documents(&mut self, docs: &[(DocId, &[u8])]) {
        let docs: Vec<(DocId, &[u8], bool)> =
            docs.iter().filter_map(|(id, bytes)| Some((*id, *bytes, !self.contains_document(id).ok()?))).collect();
        self.preloaded.work_on(&docs);
    }

    /// The document `bytes` hold, strictly loaded: from the preload if it loaded these very bytes.
    fn load_incoming(&mut self, id: &DocId, bytes: &[u8]) -> Result<AutoCommit> {
        match self.preloaded.take_loaded(id, bytes) {
            Some(doc) => Ok(doc),
            None => untrusted::load_received(id.kind, bytes).map_err(StoreError::doc(*id)),
        }
    }

    /// Applies bytes received from elsewhere to document `id` (creating it if it is new here), and
    /// stores the result only if it passes [`homevisit_docs::check`] (its content agrees with its
    /// id, its kind and schema are right, its record is valid) and `judge` accepts it; else
    /// nothing is stored and the document's error is returned ([`StoreError::Forbidden`] when
    /// `judge` refuses). `judge` sees the document as it would be stored, and this store (to look
    /// up its own records). Every Automerge call on the bytes is contained: bytes that make
    /// Automerge panic are refused as a bad document, and nothing else is affected.
    pub fn apply_received(
        &mut self,
        id: &DocId,
        incoming: Incoming<'_>,
        judge: impl FnOnce(&Received<'_>, &Store<I>) -> bool,
    ) -> Result<Applied> {
        self.guarded(id, "store a received document", |store| {
            if store.contains_document(id)? {
                store.apply_to_stored(id, incoming, judge)
            } else {
                store.apply_to_new(id, incoming, judge)
            }
        })
    }

    fn apply_to_stored(
        &mut self,
        id: &DocId,
        incoming: Incoming<'_>,
        judge: impl FnOnce(&Received<'_>, &Store<I>) -> bool,
    ) -> Result<Applied> {
        let had_corrupt = self.has_corrupt(id);
        self.cached(id)?;
        // Owned from here: on any error below it is dropped, never cached half-changed.
        let mut doc = self.cache.remove(id).expect("cached above");
        let before = doc.get_heads();
        match incoming {
            Incoming::Whole(bytes) => {
                let mut other = self.load_incoming(id, bytes)?;
                untrusted::merge(&mut doc, &mut other).map_err(StoreError::doc(*id))?;
            }
            Incoming::Sync { state, message } => {
                untrusted::receive_sync_message(&mut doc, id.kind, state, message).map_err(StoreError::doc(*id))?;
            }
        }
        let heads_after = sorted(doc.get_heads());
        let heads_before = sorted(before.clone());
        if heads_after == heads_before {
            self.cache.insert(*id, doc);
            return Ok(Applied::Unchanged);
        }
        let content = index::checked_content(id, &doc)?;
        let received = Received { doc: *id, content: &content, is_new: false, heads_before, heads_after };
        if !judge(&received, self) {
            return Err(StoreError::Forbidden(*id));
        }
        let mut changes = doc.get_changes(&before);
        let tx = self.conn.savepoint()?;
        persist_changes::<I>(&tx, id, &mut doc, &mut changes, had_corrupt, &content)?;
        #[cfg(feature = "fault-injection")]
        crate::fault::reached(crate::fault::Fault::Storing(*id));
        tx.commit()?;
        self.cache.insert(*id, doc);
        Ok(Applied::Changed)
    }

    fn apply_to_new(
        &mut self,
        id: &DocId,
        incoming: Incoming<'_>,
        judge: impl FnOnce(&Received<'_>, &Store<I>) -> bool,
    ) -> Result<Applied> {
        let (mut doc, saved, upgraded, content) = match incoming {
            Incoming::Whole(bytes) => {
                let worked = match self.preloaded.take_new(id, bytes) {
                    Some(worked) => worked,
                    None => ReceivedWhole::work(id, bytes, true).map_err(StoreError::doc(*id))?,
                };
                let (doc, upgraded, content) = match worked {
                    ReceivedWhole::UnloadedNotes(heads) => return self.store_unloaded(id, bytes, heads, judge),
                    ReceivedWhole::New { doc, upgraded, content } => (doc, upgraded, content),
                    // One with no changes: its check refuses it.
                    ReceivedWhole::Loaded(doc) => {
                        received_whole::upgrade_and_check(id, doc).map_err(StoreError::doc(*id))?
                    }
                };
                (doc, Some(bytes), upgraded, content)
            }
            Incoming::Sync { state, message } => {
                let mut pending =
                    self.incoming.remove(id).unwrap_or_else(|| AutoCommit::new_with_encoding(homevisit_docs::ENCODING));
                untrusted::receive_sync_message(&mut pending, id.kind, state, message).map_err(StoreError::doc(*id))?;
                if pending.get_heads().is_empty() {
                    self.incoming.insert(*id, pending);
                    return Ok(Applied::Pending);
                }
                let (doc, upgraded, content) =
                    received_whole::upgrade_and_check(id, pending).map_err(StoreError::doc(*id))?;
                (doc, None, upgraded, content)
            }
        };
        let received = Received {
            doc: *id,
            content: &content,
            is_new: true,
            heads_before: vec![],
            heads_after: sorted(doc.get_heads()),
        };
        if !judge(&received, self) {
            return Err(StoreError::Forbidden(*id));
        }
        doc.set_actor(self.actor.clone());
        // The received bytes are stored as they are when the upgrade changed nothing (saving a
        // document again costs about as much as loading it).
        let prepared = match saved {
            Some(bytes) if !upgraded => PreparedDoc::received(*id, &mut doc, bytes, content),
            _ => PreparedDoc::received_and_changed(*id, &mut doc, content)?,
        };
        let tx = self.conn.savepoint()?;
        insert_document::<I>(&tx, &prepared)?;
        #[cfg(feature = "fault-injection")]
        crate::fault::reached(crate::fault::Fault::Storing(*id));
        tx.commit()?;
        self.remember(*id, doc);
        Ok(Applied::Changed)
    }

    /// Stores a visit's notes received whole as they came, without loading them (see
    /// [`untrusted::unloaded_notes_heads`]): under the heads their header declares, judged as notes
    /// (whose access is their visit's), and listed as unloaded, so their first load checks them.
    fn store_unloaded(
        &mut self,
        id: &DocId,
        bytes: &[u8],
        heads: Vec<ChangeHash>,
        judge: impl FnOnce(&Received<'_>, &Store<I>) -> bool,
    ) -> Result<Applied> {
        let content = Content::VisitNotes;
        let received = Received {
            doc: *id,
            content: &content,
            is_new: true,
            heads_before: vec![],
            heads_after: sorted(heads.clone()),
        };
        if !judge(&received, self) {
            return Err(StoreError::Forbidden(*id));
        }
        let prepared = PreparedDoc { id: *id, snapshot: bytes.to_vec(), heads: encode_heads(heads), rows: content };
        let tx = self.conn.savepoint()?;
        insert_document::<I>(&tx, &prepared)?;
        tx.prepare_cached("INSERT INTO unloaded_documents (doc_id) VALUES (?1)")?.execute([id.to_string()])?;
        #[cfg(feature = "fault-injection")]
        crate::fault::reached(crate::fault::Fault::Storing(*id));
        tx.commit()?;
        self.preloaded.forget(id);
        Ok(Applied::Changed)
    }

    /// Loads up to `max` documents stored unloaded (see [`Store::apply_received`]), so each is
    /// checked in full; returns those that failed (each is an error whenever it is read; the
    /// caller decides what becomes of it: the relay deletes it).
    pub fn load_unloaded(&mut self, max: usize) -> Result<Vec<DocId>> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT doc_id FROM unloaded_documents ORDER BY doc_id LIMIT ?1")?
            .query_map([i64::try_from(max).unwrap_or(-1)], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut failed = Vec::new();
        for id in ids.iter().filter_map(|s| s.parse::<DocId>().ok()) {
            if self.guarded(&id, "load a document received whole", |store| store.cached(&id).map(|_| ())).is_err() {
                failed.push(id);
            }
        }
        Ok(failed)
    }

    /// Loads up to `max` documents stored unloaded and deletes, with their history, those that fail
    /// (bytes from elsewhere that never passed: nothing of them was ever readable). Returns them.
    pub fn remove_unloadable(&mut self, max: usize) -> Result<Vec<DocId>> {
        let failed = self.load_unloaded(max)?;
        if !failed.is_empty() {
            self.purge_documents(&failed)?;
        }
        Ok(failed)
    }

    /// How many documents are stored unloaded (see [`Store::load_unloaded`]).
    pub fn unloaded_count(&self) -> Result<usize> {
        Ok(self.conn.query_row("SELECT count(*) FROM unloaded_documents", [], |r| r.get::<_, i64>(0))? as usize)
    }

    /// Forgets a document held in memory because a peer began to send it ([`Applied::Pending`]).
    pub fn discard_pending(&mut self, id: &DocId) {
        self.incoming.remove(id);
    }

    /// The document as stored (its snapshot followed by its change chunks, loadable as one) and
    /// its heads, read without loading it: how a document goes to a peer that has never had it.
    pub fn stored_document(&self, id: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>)> {
        let key = id.to_string();
        let mut bytes: Vec<u8> = self
            .conn
            .prepare_cached("SELECT data FROM doc_snapshots WHERE doc_id = ?1")?
            .query_row([&key], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound(*id))?;
        let mut stmt = self.conn.prepare_cached("SELECT data FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
        let mut rows = stmt.query([&key])?;
        while let Some(row) = rows.next()? {
            bytes.extend_from_slice(&row.get::<_, Vec<u8>>(0)?);
        }
        Ok((bytes, self.document_heads(id)?))
    }

    /// The document's full saved form (for export or to hand to a peer).
    pub fn document_bytes(&mut self, id: &DocId) -> Result<Vec<u8>> {
        self.guarded(id, "save a document", |store| Ok(store.cached(id)?.save()))
    }

    /// The whole document as JSON.
    pub fn document_json(&mut self, id: &DocId) -> Result<serde_json::Value> {
        self.read(id, |doc| Ok(homevisit_docs::to_json(doc)))
    }

    pub fn document_heads(&self, id: &DocId) -> Result<Vec<ChangeHash>> {
        self.stored_heads(id)?.ok_or(StoreError::NotFound(*id))
    }

    /// The document's heads, or `None` if it is not stored: one read, where asking
    /// [`Store::contains_document`] first would be two (a sync asks this of every document).
    pub fn stored_heads(&self, id: &DocId) -> Result<Option<Vec<ChangeHash>>> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT heads FROM documents WHERE doc_id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?;
        Ok(bytes.map(|b| decode_heads(&b)))
    }

    /// Every stored document id, optionally of one kind.
    pub fn document_ids(&self, kind: Option<DocKind>) -> Result<Vec<DocId>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT doc_id FROM documents WHERE ?1 IS NULL OR kind = ?1 ORDER BY doc_id")?;
        let ids =
            stmt.query_map([kind.map(|k| k.as_str())], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
    }

    /// Chunks found unreadable so far in this session.
    pub fn corrupt_chunks(&self) -> &[CorruptChunk] {
        &self.corrupt
    }

    /// Checks every page of the file (a damaged page is [`StoreError::Corrupt`]), then loads every
    /// document from disk and reports what could not be read.
    pub fn check_integrity(&mut self) -> Result<IntegrityReport> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check")?;
        let problems: Vec<String> = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
        if problems.iter().any(|p| p != "ok") {
            return Err(StoreError::Corrupt(format!("{} problems found by SQLite's check", problems.len())));
        }
        drop(stmt);
        let ids = self.document_ids(None)?;
        let mut report = IntegrityReport { documents: ids.len(), ..Default::default() };
        for id in ids {
            match load_from_disk(&self.conn, &id, &mut report.corrupt_chunks) {
                Ok(_) => {}
                Err(StoreError::Document { .. }) => report.unreadable.push(id),
                Err(e) => return Err(e),
            }
        }
        for c in &report.corrupt_chunks {
            if !self.corrupt.contains(c) {
                self.corrupt.push(c.clone());
            }
        }
        Ok(report)
    }

    /// Rebuilds the index's tables from the documents (after a migration or an index change).
    /// Documents that cannot be read are left out of the tables and reported by `check_integrity`.
    pub(crate) fn rebuild_index(&mut self) -> Result<()> {
        let ids = self.document_ids(None)?;
        let tx = self.conn.savepoint()?;
        I::clear(&tx)?;
        for id in ids {
            let Ok(mut doc) = load_from_disk(&tx, &id, &mut self.corrupt) else { continue };
            if homevisit_docs::upgrade(&mut doc, id.kind).is_err() {
                continue;
            }
            // A document that fails the check is left out: no screen shows it, and it has no
            // scope, so nobody is given it.
            match index::checked_content(&id, &doc) {
                Ok(content) => I::apply(&tx, &id, &content)?,
                Err(StoreError::Document { .. } | StoreError::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Rolls a [`Store::batch`] back if it does not reach its commit (an error, or a panic unwinding).
struct BatchGuard<'a, I: Index> {
    store: &'a mut Store<I>,
    open: bool,
}

impl<I: Index> Drop for BatchGuard<'_, I> {
    fn drop(&mut self) {
        if self.open {
            if self.store.conn.execute_batch("ROLLBACK TO batch; RELEASE batch").is_err() {
                let _ = self.store.conn.execute_batch("ROLLBACK");
            }
            self.store.forget_all_in_memory();
        }
    }
}
