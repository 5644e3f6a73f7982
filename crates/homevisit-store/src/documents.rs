//! Persisting documents: snapshot + change chunks, compaction, the in-memory cache, and isolating
//! corrupt chunks.

use automerge::{AutoCommit, Change, ChangeHash};
use homevisit_docs::{DocError, DocId, DocKind};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Result, StoreError};
use crate::{Store, index, now_ms, parallel};

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
/// `corrupt`; an unreadable snapshot is an error.
fn load_from_disk(conn: &Connection, id: &DocId, corrupt: &mut Vec<CorruptChunk>) -> Result<AutoCommit> {
    let key = id.to_string();
    let snapshot: Vec<u8> = conn
        .prepare_cached("SELECT data FROM doc_snapshots WHERE doc_id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound(*id))?;
    let mut doc = homevisit_docs::load(&snapshot).map_err(StoreError::doc(*id))?;
    let mut stmt = conn.prepare_cached("SELECT seq, data FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([&key])?;
    while let Some(row) = rows.next()? {
        let (seq, data): (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
        // Each chunk is exactly one change; parsing verifies its checksum. (Automerge's own
        // load_incremental skips unreadable data silently, which would hide damage.)
        let applied = Change::try_from(&data[..]).ok().and_then(|change| doc.apply_changes([change]).ok());
        if applied.is_none() {
            corrupt.push(CorruptChunk { doc: *id, seq });
        }
    }
    Ok(doc)
}

/// Appends `changes` (those since the last persisted state, one chunk each) for a document, or
/// folds everything into a new snapshot once the chunks outgrow it, and updates the query tables;
/// all in the caller's transaction.
fn persist_changes(
    conn: &Connection,
    id: &DocId,
    doc: &mut AutoCommit,
    changes: &mut [Change],
    had_corrupt: bool,
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
    if chunk_bytes + added > snapshot_len {
        let snapshot = doc.save();
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
    index::update(conn, id, doc)
}

/// A new document made ready for storage: everything but the write itself, so preparing many
/// documents can run in parallel, off the database connection.
pub(crate) struct PreparedDoc {
    id: DocId,
    snapshot: Vec<u8>,
    heads: Vec<u8>,
    rows: index::Rows,
}

impl PreparedDoc {
    /// Prepares `doc`; `rows` are its query-table rows when the caller already has the typed
    /// record (saves reading it back), else they are read from the document.
    pub(crate) fn new(id: DocId, doc: &mut AutoCommit, rows: Option<index::Rows>) -> Result<Self> {
        let rows = match rows {
            Some(rows) => rows,
            None => index::rows_for(&id, doc)?,
        };
        Ok(Self { id, snapshot: doc.save(), heads: encode_heads(doc.get_heads()), rows })
    }

    /// Prepares `doc`, strictly loaded from `saved`, keeping those bytes as its snapshot.
    pub(crate) fn received(id: DocId, doc: &mut AutoCommit, saved: &[u8]) -> Result<Self> {
        let rows = index::rows_for(&id, doc)?;
        Ok(Self { id, snapshot: saved.to_vec(), heads: encode_heads(doc.get_heads()), rows })
    }
}

fn insert_document(conn: &Connection, doc: &PreparedDoc) -> Result<()> {
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
    index::apply(conn, &doc.rows)
}

impl Store {
    /// Loads `id` into the cache (from disk if needed), upgrading its schema, and returns it.
    pub(crate) fn cached(&mut self, id: &DocId) -> Result<&mut AutoCommit> {
        if !self.cache.contains_key(id) {
            let mut doc = load_from_disk(&self.conn, id, &mut self.corrupt)?;
            doc.set_actor(self.actor.clone());
            let before = doc.get_heads();
            if homevisit_docs::upgrade(&mut doc, id.kind).map_err(StoreError::doc(*id))? {
                let mut changes = doc.get_changes(&before);
                let had_corrupt = self.has_corrupt(id);
                let tx = self.conn.savepoint()?;
                persist_changes(&tx, id, &mut doc, &mut changes, had_corrupt)?;
                tx.commit()?;
            }
            self.remember(*id, doc);
        }
        Ok(self.cache.get_mut(id).expect("just inserted"))
    }

    fn has_corrupt(&self, id: &DocId) -> bool {
        self.corrupt.iter().any(|c| c.doc == *id)
    }

    /// Reads a document.
    pub(crate) fn read<R>(&mut self, id: &DocId, f: impl FnOnce(&AutoCommit) -> Result<R, DocError>) -> Result<R> {
        let doc = self.cached(id)?;
        f(doc).map_err(StoreError::doc(*id))
    }

    /// Applies `f` to a document and durably stores whatever it changed before returning.
    /// If `f` fails, or the write fails, nothing is stored and the in-memory copy is dropped, so
    /// memory never holds an edit the disk does not.
    pub fn edit_document<R>(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut AutoCommit) -> Result<R, DocError>,
    ) -> Result<R> {
        let had_corrupt = self.has_corrupt(id);
        self.cached(id)?;
        let mut doc = self.cache.remove(id).expect("cached above");
        let before = doc.get_heads();
        let result = f(&mut doc).map_err(StoreError::doc(*id))?;
        let mut changes = doc.get_changes(&before);
        if !changes.is_empty() {
            let tx = self.conn.savepoint()?;
            persist_changes(&tx, id, &mut doc, &mut changes, had_corrupt)?;
            tx.commit()?;
        }
        // Only a fully stored edit goes back into the cache; on any error above the in-memory
        // copy is dropped and the next read reloads what is on disk.
        self.cache.insert(*id, doc);
        Ok(result)
    }

    /// Stores new documents in one transaction: all of them or none.
    pub(crate) fn insert_documents(&mut self, docs: &[PreparedDoc]) -> Result<()> {
        let tx = self.conn.savepoint()?;
        for doc in docs {
            insert_document(&tx, doc)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Runs `f` as one database transaction: everything it writes is committed together when it
    /// returns `Ok`, and nothing when it returns `Err` (the in-memory documents are dropped then,
    /// so memory never holds what the disk does not). A sync round uses this so hundreds of
    /// documents cost one commit, not hundreds.
    pub fn batch<R, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Store) -> std::result::Result<R, E>,
    ) -> std::result::Result<R, E> {
        self.conn.execute_batch("SAVEPOINT batch").map_err(StoreError::from)?;
        match f(self) {
            Ok(r) => {
                self.conn.execute_batch("RELEASE batch").map_err(StoreError::from)?;
                Ok(r)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK TO batch; RELEASE batch");
                self.cache.clear();
                self.incoming.clear();
                Err(e)
            }
        }
    }

    /// Keeps a document just stored in memory, as the next call is likely about it.
    pub(crate) fn remember(&mut self, id: DocId, doc: AutoCommit) {
        if self.cache.len() >= self.cache_capacity {
            self.cache.clear();
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
        self.merge_document_bytes_checked(id, bytes, |_| true)
    }

    /// Like [`Store::merge_document_bytes`], but `allowed` judges the document as it would be after
    /// the merge; if it says no, nothing is stored and the result is [`StoreError::Forbidden`].
    pub fn merge_document_bytes_checked(
        &mut self,
        id: &DocId,
        bytes: &[u8],
        allowed: impl FnOnce(&mut AutoCommit) -> bool,
    ) -> Result<bool> {
        // Strict load first: damaged bytes are refused whole instead of half-applied.
        let mut incoming = match self.preloaded.remove(id) {
            Some((loaded_from, doc)) if loaded_from == bytes => doc,
            _ => homevisit_docs::load(bytes).map_err(StoreError::doc(*id))?,
        };
        if self.contains_document(id)? {
            return self.edit_document_checked(
                id,
                |doc| {
                    let before = doc.get_heads();
                    doc.merge(&mut incoming)?;
                    Ok(doc.get_heads() != before)
                },
                allowed,
            );
        }
        self.incoming.remove(id);
        self.insert_received(id, incoming, Some(bytes), allowed)?;
        Ok(true)
    }

    /// Loads documents that are about to be merged whole ([`Store::merge_document_bytes`]), on every
    /// core: loading is most of the cost of receiving a document. Replaces what an earlier call
    /// loaded; an empty list frees it. Bytes that fail to load are left for the merge to refuse.
    pub fn preload_documents(&mut self, docs: &[(DocId, &[u8])]) {
        self.preloaded.clear();
        let loaded = parallel::map_each(docs, 2, |(_, bytes)| homevisit_docs::load(bytes).ok());
        for ((id, bytes), doc) in docs.iter().zip(loaded) {
            if let Some(doc) = doc {
                self.preloaded.insert(*id, (bytes.to_vec(), doc));
            }
        }
    }

    /// Applies `f` to a stored document, then lets `allowed` judge the result: stored only if
    /// allowed, else [`StoreError::Forbidden`] and nothing is stored.
    pub(crate) fn edit_document_checked<R>(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut AutoCommit) -> Result<R, DocError>,
        allowed: impl FnOnce(&mut AutoCommit) -> bool,
    ) -> Result<R> {
        let forbidden = std::cell::Cell::new(false);
        let result = self.edit_document(id, |doc| {
            let r = f(doc)?;
            if !allowed(doc) {
                forbidden.set(true);
                return Err(DocError::Shape("forbidden".into()));
            }
            Ok(r)
        });
        if forbidden.get() { Err(StoreError::Forbidden(*id)) } else { result }
    }

    /// Stores a document that arrived from a peer and is new here: checks its kind and schema,
    /// lets `allowed` judge it, and keeps it in memory for the next message about it.
    /// `saved` are the bytes `doc` was loaded from, if it was: stored as they are when the schema
    /// upgrade changed nothing (saving a document again costs about as much as loading it).
    pub(crate) fn insert_received(
        &mut self,
        id: &DocId,
        mut doc: AutoCommit,
        saved: Option<&[u8]>,
        allowed: impl FnOnce(&mut AutoCommit) -> bool,
    ) -> Result<()> {
        let upgraded = homevisit_docs::upgrade(&mut doc, id.kind).map_err(StoreError::doc(*id))?;
        if !allowed(&mut doc) {
            return Err(StoreError::Forbidden(*id));
        }
        doc.set_actor(self.actor.clone());
        let prepared = match saved {
            Some(bytes) if !upgraded => PreparedDoc::received(*id, &mut doc, bytes)?,
            _ => PreparedDoc::new(*id, &mut doc, None)?,
        };
        self.insert_documents(&[prepared])?;
        self.remember(*id, doc);
        Ok(())
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
        Ok(self.cached(id)?.save())
    }

    /// The whole document as JSON.
    pub fn document_json(&mut self, id: &DocId) -> Result<serde_json::Value> {
        self.read(id, |doc| Ok(homevisit_docs::to_json(doc)))
    }

    pub fn document_heads(&self, id: &DocId) -> Result<Vec<ChangeHash>> {
        let bytes: Vec<u8> = self
            .conn
            .prepare_cached("SELECT heads FROM documents WHERE doc_id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound(*id))?;
        Ok(decode_heads(&bytes))
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

    /// Loads every document from disk and reports what could not be read.
    pub fn check_integrity(&mut self) -> Result<IntegrityReport> {
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

    /// Rebuilds every query table from the documents (after a migration or an index change).
    /// Documents that cannot be read are left out of the tables and reported by `check_integrity`.
    pub(crate) fn rebuild_query_tables(&mut self) -> Result<()> {
        let ids = self.document_ids(None)?;
        let tx = self.conn.savepoint()?;
        index::clear(&tx)?;
        for id in ids {
            let Ok(mut doc) = load_from_disk(&tx, &id, &mut self.corrupt) else { continue };
            if homevisit_docs::upgrade(&mut doc, id.kind).is_err() {
                continue;
            }
            match index::update(&tx, &id, &doc) {
                Ok(()) | Err(StoreError::Document { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        tx.commit()?;
        Ok(())
    }
}
