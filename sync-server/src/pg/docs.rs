//! Documents, sync states and sync marks in PostgreSQL, inside one request's transaction.
//!
//! A document is one row holding its whole Automerge save. A write takes the document's lock (an
//! advisory lock on its id, which also serializes *creating* a document that has no row yet, then
//! `SELECT ... FOR UPDATE`), merges into what is stored *now*, and writes the result back, so two
//! relay instances changing, or creating, the same document at once both keep their changes.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use automerge::sync::{Message, State};
use automerge::{AutoCommit, ChangeHash};
use homevisit_docs::{Content, DocId, DocKind, Scope, untrusted};
use homevisit_model::{EducatorId, FamilyId, SchoolId, VisitId, VisitLog};
use homevisit_protocol::RejectReason;
use homevisit_store::received_whole::{ReceivedWhole, WorkedAhead};
use homevisit_store::{Applied, Incoming, Received, shared_sync_state};
use homevisit_sync::{CandidateRange, DeviceId, DocFailure, Merged, PeerId, SyncDocs, store_merged};
use postgres::Transaction;

use crate::attest::{self, Effect};
use crate::backend::{DocStorage, Judge, Records, Usage};
use crate::candidate_bounds;
use crate::pg::attestations;
use crate::pg::seal::Sealer;
use crate::pg::statements::{Prepared, Sql, Statements};

fn storage(e: postgres::Error) -> DocFailure {
    DocFailure::Storage(Box::new(e))
}

fn malformed<E>(_: E) -> DocFailure {
    DocFailure::Rejected(RejectReason::Malformed)
}

pub(crate) fn encode_heads(mut heads: Vec<ChangeHash>) -> Vec<u8> {
    heads.sort();
    heads.iter().flat_map(|h| h.0).collect()
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes.chunks_exact(32).map(|c| ChangeHash(c.try_into().expect("32 bytes"))).collect()
}

/// A stored document's bytes and heads.
type Stored = (Vec<u8>, Vec<ChangeHash>);

/// What a sync state is bound to: its peer (the device) and document.
fn state_aad(peer: &PeerId, doc: &DocId) -> String {
    format!("{peer} {doc}")
}

/// Recomputes every document's scope from its checked content under its own id (schema 1 took
/// it from whatever ids the content named). A document that fails the check gets an empty scope:
/// no school, so no device is given it.
pub(crate) fn recompute_scopes(tx: &mut Transaction<'_>, sealer: &Sealer) -> Result<(), postgres::Error> {
    let rows = tx.query("SELECT doc_id, data FROM documents", &[])?;
    for row in rows {
        let key: String = row.get(0);
        let scope = key
            .parse::<DocId>()
            .ok()
            .and_then(|doc| {
                let bytes = sealer.open(key.as_bytes(), row.get(1)).ok()?;
                let mut content = homevisit_docs::load(&bytes).ok()?;
                homevisit_docs::upgrade(&mut content, doc.kind).ok()?;
                Some(homevisit_docs::check(&doc, &content).ok()?.scope(&doc))
            })
            .unwrap_or_default();
        let educators: Vec<String> = scope.educators.iter().map(|e| e.to_string()).collect();
        tx.execute(
            "UPDATE documents SET school_id = $2, educator_ids = $3, family_id = $4 WHERE doc_id = $1",
            &[&key, &scope.school.map(|s| s.to_string()), &educators, &scope.family.map(|f| f.to_string())],
        )?;
    }
    Ok(())
}

/// What the relay's checks read of a document's row, without its bytes.
#[derive(Clone)]
struct RowInfo {
    heads: Vec<ChangeHash>,
    school: Option<String>,
    educators: Vec<String>,
    family: Option<String>,
}

impl RowInfo {
    /// The columns `heads, school_id, educator_ids, family_id` of `row`, from `first` on.
    fn read(row: &postgres::Row, first: usize) -> Self {
        RowInfo {
            heads: decode_heads(row.get(first)),
            school: row.get(first + 1),
            educators: row.get(first + 2),
            family: row.get(first + 3),
        }
    }
}

/// What a document locked ahead held when it was locked ([`PgDocs::lock_ahead`]).
struct Locked {
    /// Its stored bytes (sealed) and whether they are stored unloaded; `None` for no row.
    stored: Option<(Vec<u8>, bool)>,
    /// Whether it was deleted (a tombstone), read under the lock.
    deleted: bool,
}

pub(crate) struct PgDocs<'a, 't> {
    /// The request's transaction, its statements prepared once per connection.
    tx: Prepared<'a, 't>,
    sealer: &'a Sealer,
    /// Documents loaded during this transaction (a session may generate several messages for one).
    loaded: HashMap<DocId, AutoCommit>,
    /// Rows read (or written) during this transaction, `None` for no row. A request asks about one
    /// document's scope, heads and existence several times (access, write rule, quota, marks):
    /// each a round trip to the server otherwise. Writes keep it current; what another instance
    /// commits meanwhile is seen by the next transaction (a request's step is short), and what
    /// must be read under the document's lock (`write_checked`) is never taken from here.
    rows: HashMap<DocId, Option<RowInfo>>,
    /// Tombstones read during this transaction (a deletion is checked again under the lock).
    tombstones: HashMap<DocId, bool>,
    /// Devices' usage read during this transaction, with what it added since.
    usage: HashMap<DeviceId, Usage>,
    /// Sync states read ahead for the documents [`SyncDocs::candidates`] offered a device (the
    /// answer loads each one's state next): (device, document) to its unsealed state or, with none
    /// stored, the one its mark answers for ([`SyncDocs::mark_synced_whole`]); `None` for neither.
    /// A state saved or a mark written since is read again.
    states: HashMap<(PeerId, DocId), Option<Vec<u8>>>,
    /// Sync states and marks written at the end of the transaction ([`PgDocs::deferring`]).
    pending: Option<Pending>,
    /// Documents locked ahead ([`PgDocs::lock_ahead`]): what each held when locked (sealed, and
    /// whether stored unloaded; `None` for no row) and whether it was deleted then, each taken by
    /// its first write.
    locked: HashMap<DocId, Locked>,
    /// Whole documents received, worked on by the spare cores beside the writes (loaded; new ones
    /// also checked), with the bytes they came from.
    preloaded: WorkedAhead,
    /// Visits' latest attested values, read as their logs are locked ([`PgDocs::lock_ahead`]); one
    /// recorded since is read again.
    attested: HashMap<VisitId, attestations::Latest>,
    /// Documents about to be sent whole, read ahead ([`SyncDocs::read_snapshots_ahead`]), each
    /// taken by its `snapshot`.
    snapshots: HashMap<DocId, Stored>,
    /// Families' open declines, read ahead for the visit logs received whole
    /// ([`SyncDocs::preload_snapshots`]); a family whose declines change is read again.
    declines: HashMap<FamilyId, Vec<VisitId>>,
    /// Documents this transaction created: no device has a sync state of one stored (a state is
    /// only stored for a document that exists, and its row is not visible to others yet).
    created: HashSet<DocId>,
}

/// Rows and records to write when the transaction's work is done, in one statement each: a
/// request stores a row, a sync state and a mark for every document it settled (and more for a
/// visit log), each a round trip to the server otherwise.
#[derive(Default)]
struct Pending {
    /// Documents' rows by id (a later write of one replaces the earlier). Every document written
    /// is also in `rows` (and, loaded, in `loaded`); a read of one from the server flushes first.
    documents: BTreeMap<String, DocumentRow>,
    /// Documents stored unloaded, listed once their rows are written.
    unloaded: Vec<String>,
    states: BTreeMap<(String, String), Vec<u8>>,
    /// States to drop (the mark written with each answers for them: [`SyncDocs::mark_synced_whole`]).
    dropped_states: BTreeSet<(String, String)>,
    marks: BTreeMap<(String, String), Vec<u8>>,
    /// Attested values, in the order recorded.
    attestations: Vec<attestations::AttestationRow>,
    /// (visit, educator) who stored changes to it.
    contributors: BTreeSet<(String, String)>,
    /// Documents and bytes added to each device's usage.
    usage: BTreeMap<String, (i64, i64)>,
}

impl Pending {
    /// Whether an attested value of a visit `among` picks waits to be written.
    fn attests_any(&self, among: impl Fn(&String) -> bool) -> bool {
        self.attestations.iter().any(|row| among(&row.0))
    }
}

/// A document's row as written: its bytes (sealed), heads, school, educators, family.
struct DocumentRow {
    sealed: Vec<u8>,
    heads: Vec<u8>,
    school: Option<String>,
    educators: Vec<String>,
    family: Option<String>,
}

impl<'a, 't> PgDocs<'a, 't> {
    pub(crate) fn new(tx: &'a mut Transaction<'t>, statements: &'a mut Statements, sealer: &'a Sealer) -> Self {
        Self {
            tx: Prepared::new(tx, statements),
            sealer,
            loaded: HashMap::new(),
            rows: HashMap::new(),
            tombstones: HashMap::new(),
            usage: HashMap::new(),
            states: HashMap::new(),
            pending: None,
            locked: HashMap::new(),
            preloaded: WorkedAhead::default(),
            snapshots: HashMap::new(),
            attested: HashMap::new(),
            declines: HashMap::new(),
            created: HashSet::new(),
        }
    }

    /// As [`PgDocs::new`], writing sync states and marks in one statement each at
    /// [`PgDocs::flush`], which the caller runs before it commits (a read of them in the meantime
    /// flushes first).
    pub(crate) fn deferring(tx: &'a mut Transaction<'t>, statements: &'a mut Statements, sealer: &'a Sealer) -> Self {
        Self { pending: Some(Pending::default()), ..Self::new(tx, statements, sealer) }
    }

    /// Writes the sync states and marks deferred so far.
    pub(crate) fn flush(&mut self) -> Result<(), DocFailure> {
        let Some(pending) = self.pending.as_mut() else { return Ok(()) };
        let documents = std::mem::take(&mut pending.documents);
        let unloaded = std::mem::take(&mut pending.unloaded);
        let (states, marks) = (std::mem::take(&mut pending.states), std::mem::take(&mut pending.marks));
        let dropped_states = std::mem::take(&mut pending.dropped_states);
        if !documents.is_empty() {
            let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for (doc, row) in documents {
                columns.0.push(doc);
                columns.1.push(row.sealed);
                columns.2.push(row.heads);
                columns.3.push(row.school);
                // One text per row (an array of arrays must be rectangular); ids hold no comma.
                columns.4.push(row.educators.join(","));
                columns.5.push(row.family);
            }
            self.tx
                .execute(
                    "INSERT INTO documents (doc_id, data, heads, school_id, educator_ids, family_id)
                     SELECT doc_id, data, heads, school_id, string_to_array(educators, ','), family_id
                     FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::text[], $5::text[], $6::text[])
                          AS u(doc_id, data, heads, school_id, educators, family_id)
                     ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, heads = excluded.heads,
                       school_id = excluded.school_id, educator_ids = excluded.educator_ids,
                       family_id = excluded.family_id, updated_at = now()",
                    &[&columns.0, &columns.1, &columns.2, &columns.3, &columns.4, &columns.5],
                )
                .map_err(storage)?;
        }
        if !unloaded.is_empty() {
            self.tx
                .execute("INSERT INTO unloaded_documents (doc_id) SELECT unnest($1::text[])", &[&unloaded])
                .map_err(storage)?;
        }
        let attestations = std::mem::take(&mut pending.attestations);
        let contributors = std::mem::take(&mut pending.contributors);
        let usage = std::mem::take(&mut pending.usage);
        if !attestations.is_empty() {
            let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for (visit, what, educator, device, at) in attestations {
                columns.0.push(visit);
                columns.1.push(what);
                columns.2.push(educator);
                columns.3.push(device);
                columns.4.push(at);
            }
            // In the order recorded (their `seq`, which "latest" is read by).
            self.tx
                .execute(
                    "INSERT INTO visit_attestations (visit_id, what, educator_id, device_id, at)
                     SELECT visit_id, what, educator_id, device_id, at
                     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                          WITH ORDINALITY AS u(visit_id, what, educator_id, device_id, at, n)
                     ORDER BY n",
                    &[&columns.0, &columns.1, &columns.2, &columns.3, &columns.4],
                )
                .map_err(storage)?;
        }
        if !contributors.is_empty() {
            let (visits, educators): (Vec<String>, Vec<String>) = contributors.into_iter().unzip();
            self.tx
                .execute(
                    "INSERT INTO visit_contributors (visit_id, educator_id)
                     SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING",
                    &[&visits, &educators],
                )
                .map_err(storage)?;
        }
        if !usage.is_empty() {
            let mut columns = (Vec::new(), Vec::new(), Vec::new());
            for (device, (documents, bytes)) in usage {
                columns.0.push(device);
                columns.1.push(documents);
                columns.2.push(bytes);
            }
            self.tx
                .execute(
                    "INSERT INTO device_usage (device_id, documents, bytes)
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
                     ON CONFLICT (device_id) DO UPDATE SET documents = device_usage.documents + excluded.documents,
                                                           bytes = device_usage.bytes + excluded.bytes",
                    &[&columns.0, &columns.1, &columns.2],
                )
                .map_err(storage)?;
        }
        let columns = |rows: BTreeMap<(String, String), Vec<u8>>| {
            let mut out = (Vec::new(), Vec::new(), Vec::new());
            for ((device, doc), bytes) in rows {
                out.0.push(device);
                out.1.push(doc);
                out.2.push(bytes);
            }
            out
        };
        // By device (in practice the one syncing): a lookup of the primary key's range.
        let mut dropped: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (device, doc) in dropped_states {
            dropped.entry(device).or_default().push(doc);
        }
        for (device, docs) in dropped {
            self.tx
                .execute("DELETE FROM sync_states WHERE device_id = $1 AND doc_id = ANY($2)", &[&device, &docs])
                .map_err(storage)?;
        }
        if !states.is_empty() {
            let (devices, docs, sealed) = columns(states);
            // Nothing to remember about a document that never arrived.
            self.tx
                .execute(
                    "INSERT INTO sync_states (device_id, doc_id, state)
                     SELECT u.device_id, u.doc_id, u.state
                     FROM unnest($1::text[], $2::text[], $3::bytea[]) AS u(device_id, doc_id, state)
                     WHERE EXISTS (SELECT 1 FROM documents d WHERE d.doc_id = u.doc_id)
                     ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
                    &[&devices, &docs, &sealed],
                )
                .map_err(storage)?;
        }
        if !marks.is_empty() {
            let (devices, docs, heads) = columns(marks);
            self.tx
                .execute(
                    "INSERT INTO sync_marks (device_id, doc_id, heads)
                     SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
                     ON CONFLICT (device_id, doc_id) DO UPDATE SET heads = excluded.heads",
                    &[&devices, &docs, &heads],
                )
                .map_err(storage)?;
        }
        Ok(())
    }

    /// Reads the sync states of `peer` for `docs` ahead, in one query (see `states`); each
    /// document comes with `peer`'s mark on it, as the candidates' query read it.
    fn read_states_ahead(&mut self, peer: &PeerId, docs: &[(DocId, Option<Vec<u8>>)]) -> Result<(), DocFailure> {
        let ids: Vec<String> = docs.iter().map(|(d, _)| d.to_string()).collect();
        let stored: HashMap<String, Vec<u8>> = self
            .tx
            .query(
                "SELECT doc_id, state FROM sync_states WHERE device_id = $1 AND doc_id = ANY($2)",
                &[&peer.as_str(), &ids],
            )
            .map_err(storage)?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        for ((doc, mark), id) in docs.iter().zip(&ids) {
            let state = self.resumable_state(peer, doc, stored.get(id).map(Vec::as_slice), mark.as_deref())?;
            self.states.insert((peer.clone(), *doc), state);
        }
        Ok(())
    }

    /// The state a session with `peer` resumes `doc` from: the one stored (`sealed`), or with none
    /// the one `peer`'s mark answers for ([`SyncDocs::mark_synced_whole`]); `None` for neither.
    fn resumable_state(
        &self,
        peer: &PeerId,
        doc: &DocId,
        sealed: Option<&[u8]>,
        mark: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, DocFailure> {
        match (sealed, mark) {
            (Some(sealed), _) => self
                .sealer
                .open(state_aad(peer, doc).as_bytes(), sealed)
                .map(Some)
                .map_err(|e| DocFailure::Storage(Box::new(e))),
            (None, Some(heads)) => Ok(Some(shared_sync_state(&decode_heads(heads)))),
            (None, None) => Ok(None),
        }
    }

    /// The document's row as this transaction knows it (read once).
    fn row(&mut self, doc: &DocId) -> Result<Option<&RowInfo>, DocFailure> {
        if !self.rows.contains_key(doc) {
            let row = self
                .tx
                .query_opt(
                    "SELECT heads, school_id, educator_ids, family_id FROM documents WHERE doc_id = $1",
                    &[&doc.to_string()],
                )
                .map_err(storage)?;
            let info = row.map(|r| RowInfo::read(&r, 0));
            self.rows.insert(*doc, info);
        }
        Ok(self.rows.get(doc).and_then(Option::as_ref))
    }

    /// Reads the rows and tombstones of `docs` and of the documents governing them (for notes,
    /// their visit log) that this transaction has not read yet, in two queries (see `rows`).
    fn read_rows_ahead(&mut self, docs: &[DocId]) -> Result<(), DocFailure> {
        let mut wanted: Vec<DocId> = docs.iter().flat_map(|d| [*d, homevisit_docs::governing_doc(d)]).collect();
        wanted.sort();
        wanted.dedup();
        let rows_wanted: Vec<String> =
            wanted.iter().filter(|d| !self.rows.contains_key(*d)).map(|d| d.to_string()).collect();
        if !rows_wanted.is_empty() {
            let rows = self
                .tx
                .query(
                    "SELECT doc_id, heads, school_id, educator_ids, family_id FROM documents WHERE doc_id = ANY($1)",
                    &[&rows_wanted],
                )
                .map_err(storage)?;
            let mut found: HashMap<DocId, RowInfo> = HashMap::new();
            for r in rows {
                let Ok(doc) = r.get::<_, &str>(0).parse::<DocId>() else { continue };
                found.insert(doc, RowInfo::read(&r, 1));
            }
            for id in rows_wanted.iter().filter_map(|s| s.parse::<DocId>().ok()) {
                self.rows.insert(id, found.remove(&id));
            }
        }
        // A document with a row has no tombstone (a deletion removes the row in the transaction
        // that writes the tombstone): only those with none are asked about. (A write checks again
        // under the document's lock.)
        let mut tombstones_wanted = Vec::new();
        for doc in wanted {
            if self.tombstones.contains_key(&doc) {
                continue;
            }
            if matches!(self.rows.get(&doc), Some(Some(_))) {
                self.tombstones.insert(doc, false);
            } else {
                tombstones_wanted.push(doc);
            }
        }
        let deleted = self.deleted_among(&tombstones_wanted)?;
        for doc in tombstones_wanted {
            self.tombstones.insert(doc, deleted.contains(&doc.to_string()));
        }
        Ok(())
    }

    /// Reads the open declines of `families` not read yet, in one query.
    fn read_declines_ahead(&mut self, families: &[FamilyId]) -> Result<(), DocFailure> {
        let mut wanted: Vec<FamilyId> = families.iter().filter(|f| !self.declines.contains_key(f)).copied().collect();
        wanted.sort();
        wanted.dedup();
        if !wanted.is_empty() {
            self.declines.extend(attestations::open_declines_among(&mut self.tx, &wanted).map_err(storage)?);
        }
        Ok(())
    }

    /// Which of `docs` were deleted (have a tombstone), read now, in one query (none for none).
    fn deleted_among(&mut self, docs: &[DocId]) -> Result<HashSet<String>, DocFailure> {
        if docs.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        let rows =
            self.tx.query("SELECT doc_id FROM deleted_documents WHERE doc_id = ANY($1)", &[&ids]).map_err(storage)?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// A document's stored bytes, unsealed.
    fn unseal(&self, doc: &DocId, sealed: &[u8]) -> Result<Vec<u8>, DocFailure> {
        self.sealer.open(doc.to_string().as_bytes(), sealed).map_err(|e| DocFailure::Storage(Box::new(e)))
    }

    fn load_sealed(&self, doc: &DocId, sealed: &[u8]) -> Result<AutoCommit, DocFailure> {
        homevisit_docs::load(&self.unseal(doc, sealed)?).map_err(|e| DocFailure::Storage(Box::new(e)))
    }

    /// A stored document, loaded; `unloaded`: stored as received ([`PgDocs::store_unloaded`]), so
    /// this first load checks it in full (Automerge verifies its heads as it loads, then
    /// [`homevisit_docs::check`]) and, if it passes, it is no longer listed as unloaded. One that
    /// fails is refused as the document's own failure (the background check deletes it).
    fn load_stored(&mut self, doc: &DocId, sealed: &[u8], unloaded: bool) -> Result<AutoCommit, DocFailure> {
        if !unloaded {
            return self.load_sealed(doc, sealed);
        }
        let content = self.checked_in_full(doc, sealed)?;
        self.no_longer_unloaded(&[doc.to_string()])?;
        Ok(content)
    }

    /// A document stored as received, loaded (Automerge verifies its heads) and checked in full;
    /// one that fails is refused as the document's own failure.
    fn checked_in_full(&self, doc: &DocId, sealed: &[u8]) -> Result<AutoCommit, DocFailure> {
        let content = homevisit_docs::load(&self.unseal(doc, sealed)?).map_err(malformed)?;
        homevisit_docs::check(doc, &content).map_err(malformed)?;
        Ok(content)
    }

    /// Takes documents that passed their full check off the list of those stored unloaded.
    fn no_longer_unloaded(&mut self, docs: &[String]) -> Result<(), DocFailure> {
        if !docs.is_empty() {
            self.tx.execute("DELETE FROM unloaded_documents WHERE doc_id = ANY($1)", &[&docs]).map_err(storage)?;
        }
        Ok(())
    }

    /// Checks in full the documents stored unloaded among `docs` (see [`PgDocs::load_stored`]),
    /// read in one query and taken off the list in one; returns those that fail their check.
    pub(crate) fn check_unloaded(&mut self, docs: &[DocId]) -> Result<Vec<DocId>, DocFailure> {
        let ids: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        let rows =
            self.tx.query("SELECT doc_id, data FROM documents WHERE doc_id = ANY($1)", &[&ids]).map_err(storage)?;
        let (mut passed, mut failed) = (Vec::new(), Vec::new());
        for row in &rows {
            let Ok(doc) = row.get::<_, &str>(0).parse::<DocId>() else { continue };
            match self.checked_in_full(&doc, row.get(1)) {
                Ok(_) => passed.push(doc.to_string()),
                Err(DocFailure::Rejected(_)) => failed.push(doc),
                Err(e) => return Err(e),
            }
        }
        self.no_longer_unloaded(&passed)?;
        Ok(failed)
    }

    /// Writes what is deferred if any of `docs` has a row waiting to be written: a read of it from
    /// the server must find it.
    fn flush_if_written(&mut self, docs: &[DocId]) -> Result<(), DocFailure> {
        self.flush_if(|p| !p.documents.is_empty() && docs.iter().any(|d| p.documents.contains_key(&d.to_string())))
    }

    /// Writes what is deferred if `read_needs` says a read about to run depends on some of it.
    fn flush_if(&mut self, read_needs: impl FnOnce(&Pending) -> bool) -> Result<(), DocFailure> {
        if self.pending.as_ref().is_some_and(read_needs) { self.flush() } else { Ok(()) }
    }

    /// The stored document, read once per transaction; `None` if new.
    fn cached(&mut self, doc: &DocId) -> Result<Option<&mut AutoCommit>, DocFailure> {
        if !self.loaded.contains_key(doc) {
            self.flush_if_written(std::slice::from_ref(doc))?;
            let Some(row) = self
                .tx
                .query_opt(
                    "SELECT data, EXISTS (SELECT 1 FROM unloaded_documents u WHERE u.doc_id = documents.doc_id)
                     FROM documents WHERE doc_id = $1",
                    &[&doc.to_string()],
                )
                .map_err(storage)?
            else {
                return Ok(None);
            };
            let loaded = self.load_stored(doc, row.get(0), row.get(1))?;
            self.loaded.insert(*doc, loaded);
        }
        Ok(self.loaded.get_mut(doc))
    }

    /// The stored document as it is *now*, locked until this transaction ends (another instance
    /// may have changed it since this transaction first read it); `None` if new.
    ///
    /// `FOR UPDATE` locks no row that does not exist yet: two instances creating one document
    /// would both read nothing, and the second's `INSERT ... ON CONFLICT DO UPDATE` would replace
    /// what the first had stored and acknowledged. So the document's id is locked first, with a
    /// transaction-scoped advisory lock: every write of one document, new or not, takes its turn,
    /// and the read that follows (a statement of its own, so under READ COMMITTED it sees what the
    /// lock's previous holder committed) is what this write merges into. Chosen over inserting a
    /// placeholder row and retrying: one statement, no retry loop, and no half-made row for
    /// another transaction to read. The key is a 64-bit hash of the id: a collision only makes two
    /// documents' writers take turns. Locks are taken in the order a request writes documents; two
    /// requests writing the same documents in opposite orders can deadlock, which PostgreSQL
    /// breaks by failing one of them (a 500: that device syncs again), as with the row locks.
    ///
    /// Returns also whether the document was deleted, read under the lock. Taken from
    /// [`PgDocs::lock_ahead`] when the document was locked ahead, else locked and read now by it.
    fn load_for_update(&mut self, doc: &DocId) -> Result<(Option<AutoCommit>, bool), DocFailure> {
        if !self.locked.contains_key(doc) {
            self.lock_ahead(std::slice::from_ref(doc))?;
        }
        let Locked { stored, deleted } =
            self.locked.remove(doc).ok_or_else(|| DocFailure::Storage("a document locked but not read".into()))?;
        let stored = stored.map(|(sealed, unloaded)| self.load_stored(doc, &sealed, unloaded)).transpose()?;
        Ok((stored, deleted))
    }

    /// Locks the documents a part of a request is about to write (see [`PgDocs::load_for_update`]),
    /// in one statement and in the order of their ids (so two requests locking ahead never wait on
    /// each other in a cycle), then reads what each holds, and for those with no row whether they
    /// were deleted, in one query each.
    fn lock_ahead(&mut self, docs: &[DocId]) -> Result<(), DocFailure> {
        let mut docs: Vec<(String, DocId)> =
            docs.iter().filter(|d| !self.locked.contains_key(*d)).map(|d| (d.to_string(), *d)).collect();
        docs.sort();
        docs.dedup();
        if docs.is_empty() {
            return Ok(());
        }
        let ids: Vec<DocId> = docs.iter().map(|(_, doc)| *doc).collect();
        self.flush_if_written(&ids)?;
        let ids: Vec<&str> = docs.iter().map(|(id, _)| id.as_str()).collect();
        self.tx
            .execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(id, 0)) FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n) ORDER BY n",
                &[&ids],
            )
            .map_err(storage)?;
        let mut data: HashMap<String, (Vec<u8>, bool)> = self
            .tx
            .query(
                "SELECT doc_id, data, EXISTS (SELECT 1 FROM unloaded_documents u WHERE u.doc_id = documents.doc_id)
                 FROM documents WHERE doc_id = ANY($1) FOR UPDATE",
                &[&ids],
            )
            .map_err(storage)?
            .into_iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect();
        // The judge of a visit log reads its attested values: read here, under the log's lock (as
        // the judge's own read would be), for every log locked, in one query.
        let visits: Vec<VisitId> = docs
            .iter()
            .filter(|(_, d)| d.kind == DocKind::VisitLog && !self.attested.contains_key(&VisitId(d.id)))
            .map(|(_, d)| VisitId(d.id))
            .collect();
        if !visits.is_empty() {
            let ids: HashSet<String> = visits.iter().map(|v| v.to_string()).collect();
            self.flush_if(|p| p.attests_any(|visit| ids.contains(visit)))?;
            self.attested.extend(attestations::attested_among(&mut self.tx, &visits).map_err(storage)?);
        }
        let absent: Vec<DocId> = docs.iter().filter(|(id, _)| !data.contains_key(id)).map(|(_, d)| *d).collect();
        let deleted = self.deleted_among(&absent)?;
        for (id, doc) in docs {
            let deleted = deleted.contains(&id);
            self.locked.insert(doc, Locked { stored: data.remove(&id), deleted });
        }
        Ok(())
    }

    /// The document `bytes` hold, strictly loaded: from the preload if it loaded these very bytes.
    fn load_incoming(&mut self, doc: &DocId, bytes: &[u8]) -> Result<AutoCommit, DocFailure> {
        match self.preloaded.take_loaded(doc, bytes) {
            Some(content) => Ok(content),
            None => untrusted::load_received(doc.kind, bytes).map_err(malformed),
        }
    }

    /// Writes `content` as the document's new state, with the scope its checked content gives it;
    /// `as_received`: the bytes it was loaded from, strictly, and unchanged since (stored as they
    /// are).
    fn store(
        &mut self,
        doc: &DocId,
        mut content: AutoCommit,
        as_received: Option<&[u8]>,
        scope: &Scope,
    ) -> Result<(), DocFailure> {
        let heads = encode_heads(content.get_heads());
        // The whole save replaces what is stored: only one checked to load again (a document
        // holding a crafted change can save what it cannot load).
        let saved = match as_received {
            Some(bytes) => Cow::Borrowed(bytes),
            None => Cow::Owned(untrusted::save_verified(&mut content).map_err(malformed)?),
        };
        self.write_row(doc, &saved, &heads, scope)?;
        self.loaded.insert(*doc, content);
        Ok(())
    }

    /// Writes a document's row: its bytes (sealed here), heads and scope.
    fn write_row(&mut self, doc: &DocId, saved: &[u8], heads: &[u8], scope: &Scope) -> Result<(), DocFailure> {
        let school = scope.school.map(|s| s.to_string());
        let family = scope.family.map(|f| f.to_string());
        let educators: Vec<String> = scope.educators.iter().map(|e| e.to_string()).collect();
        let sealed = self.sealer.seal(doc.to_string().as_bytes(), saved);
        let info = RowInfo { heads: decode_heads(heads), school, educators, family };
        if let Some(pending) = self.pending.as_mut() {
            let row = DocumentRow {
                sealed,
                heads: heads.to_vec(),
                school: info.school.clone(),
                educators: info.educators.clone(),
                family: info.family.clone(),
            };
            pending.documents.insert(doc.to_string(), row);
        } else {
            self.tx
                .execute(
                    "INSERT INTO documents (doc_id, data, heads, school_id, educator_ids, family_id)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, heads = excluded.heads,
                       school_id = excluded.school_id, educator_ids = excluded.educator_ids,
                       family_id = excluded.family_id, updated_at = now()",
                    &[&doc.to_string(), &sealed, &heads, &info.school, &info.educators, &info.family],
                )
                .map_err(storage)?;
        }
        self.rows.insert(*doc, Some(info));
        Ok(())
    }

    /// Stores a visit's notes received whole as they came, without loading them (see
    /// [`untrusted::unloaded_notes_heads`]): under the heads their header declares, judged as notes
    /// (whose access is their visit's), and listed as unloaded, so their first load checks them.
    /// As the device store and the embedded relay do.
    fn store_unloaded(
        &mut self,
        doc: &DocId,
        bytes: &[u8],
        heads: Vec<ChangeHash>,
        judge: &mut Judge<'_>,
    ) -> Result<Applied, DocFailure> {
        let content = Content::VisitNotes;
        let heads = sorted(heads);
        let received =
            Received { doc: *doc, content: &content, is_new: true, heads_before: vec![], heads_after: heads.clone() };
        if !judge(&received, self) {
            return Err(DocFailure::Rejected(RejectReason::Forbidden));
        }
        #[cfg(feature = "fault-injection")]
        homevisit_store::fault::reached(homevisit_store::fault::Fault::Storing(*doc));
        self.write_row(doc, bytes, &encode_heads(heads), &content.scope(doc))?;
        self.created.insert(*doc);
        match self.pending.as_mut() {
            Some(pending) => pending.unloaded.push(doc.to_string()),
            None => {
                self.tx
                    .execute("INSERT INTO unloaded_documents (doc_id) VALUES ($1)", &[&doc.to_string()])
                    .map_err(storage)?;
            }
        }
        self.preloaded.forget(doc);
        Ok(Applied::Changed)
    }

    /// Applies `incoming` to the document as stored now (or to a new one), and stores the result
    /// if it changed anything, passes [`homevisit_docs::check`] and `judge` accepts it. Every
    /// Automerge call on the received bytes is contained; a panic refuses this document only (the
    /// half-changed copy is dropped, nothing is written).
    fn write_checked(
        &mut self,
        doc: &DocId,
        incoming: Incoming<'_>,
        judge: &mut Judge<'_>,
    ) -> Result<Applied, DocFailure> {
        let (mut stored, deleted) = self.load_for_update(doc)?;
        let is_new = stored.is_none();
        let before = stored.as_mut().map(|c| sorted(c.get_heads())).unwrap_or_default();
        // Checked again under the document's lock: a deletion that committed after the write rule
        // was decided (on another instance) must not be undone by this write.
        if is_new && deleted {
            return Err(DocFailure::Rejected(RejectReason::Forbidden));
        }
        // A new document received whole is the document it holds: loaded once (not merged into an
        // empty one), and stored as the bytes it came in if its schema needed no upgrade (saving
        // again costs about as much as loading), as the device store and the embedded relay do.
        if is_new && let Incoming::Whole(bytes) = incoming {
            let worked = match self.preloaded.take_new(doc, bytes) {
                Some(worked) => worked,
                None => ReceivedWhole::work(doc, bytes, true).map_err(malformed)?,
            };
            return match worked {
                ReceivedWhole::UnloadedNotes(heads) => self.store_unloaded(doc, bytes, heads, judge),
                ReceivedWhole::New { doc: mut content, upgraded, content: checked } => {
                    let after = sorted(content.get_heads());
                    let as_received = (!upgraded).then_some(bytes);
                    let received =
                        Received { doc: *doc, content: &checked, is_new, heads_before: before, heads_after: after };
                    self.write_judged(content, as_received, &received, judge)
                }
                // A whole document with no changes (no bytes, or an empty document) is not a
                // document: refused, as the device store and the embedded relay refuse it.
                ReceivedWhole::Loaded(_) => Err(DocFailure::Rejected(RejectReason::Malformed)),
            };
        }
        let mut content = stored.unwrap_or_else(|| AutoCommit::new_with_encoding(homevisit_docs::ENCODING));
        match incoming {
            Incoming::Whole(bytes) => {
                let mut other = self.load_incoming(doc, bytes)?;
                untrusted::merge(&mut content, &mut other).map_err(malformed)?;
            }
            Incoming::Sync { state, message } => {
                untrusted::receive_sync_message(&mut content, doc.kind, state, message).map_err(malformed)?;
            }
        }
        let after = sorted(content.get_heads());
        if after == before {
            return Ok(if is_new {
                // A message that creates nothing yet (nothing is kept of it here).
                Applied::Pending
            } else {
                // Nothing new.
                Applied::Unchanged
            });
        }
        if is_new {
            // As a device does with a document new to it: check its kind and bring its schema up.
            homevisit_docs::upgrade(&mut content, doc.kind).map_err(malformed)?;
        }
        let checked = homevisit_docs::check(doc, &content).map_err(malformed)?;
        let received = Received { doc: *doc, content: &checked, is_new, heads_before: before, heads_after: after };
        self.write_judged(content, None, &received, judge)
    }

    /// Writes a received document once checked (`received`), if `judge` accepts it.
    fn write_judged(
        &mut self,
        content: AutoCommit,
        as_received: Option<&[u8]>,
        received: &Received<'_>,
        judge: &mut Judge<'_>,
    ) -> Result<Applied, DocFailure> {
        if !judge(received, self) {
            return Err(DocFailure::Rejected(RejectReason::Forbidden));
        }
        let doc = &received.doc;
        let scope = received.content.scope(doc);
        // The write is the last step: nothing after it can panic, so a panic in any step before
        // (contained by the session) leaves nothing of this document in the transaction.
        #[cfg(feature = "fault-injection")]
        homevisit_store::fault::reached(homevisit_store::fault::Fault::Storing(*doc));
        self.store(doc, content, as_received, &scope)?;
        if received.is_new {
            self.created.insert(*doc);
        }
        Ok(Applied::Changed)
    }

    /// The document as stored (unsealed) and its heads, read without loading it; `None` if new.
    pub(crate) fn stored(&mut self, doc: &DocId) -> Result<Option<Stored>, DocFailure> {
        self.flush_if_written(std::slice::from_ref(doc))?;
        let row = self
            .tx
            .query_opt(
                "SELECT data, heads, school_id, educator_ids, family_id FROM documents WHERE doc_id = $1",
                &[&doc.to_string()],
            )
            .map_err(storage)?;
        // The row's other columns, for what this transaction asks next (its heads, to mark it).
        let info = row.as_ref().map(|r| RowInfo::read(r, 1));
        self.rows.insert(*doc, info);
        row.map(|r| Ok((self.unseal(doc, r.get(0))?, decode_heads(r.get(1))))).transpose()
    }

    /// Merges a whole document (an administrator's import): checked like any document, with
    /// nothing more to judge (the administrator may write anything).
    /// What the import attests is recorded as the import's (see `attest`).
    pub(crate) fn import(&mut self, doc: &DocId, bytes: &[u8]) -> Result<(), DocFailure> {
        let mut effects = Vec::new();
        let applied = self.write_checked(doc, Incoming::Whole(bytes), &mut |received, _| {
            effects = attest::import_effects(received.content);
            true
        })?;
        if applied == Applied::Changed {
            for effect in &effects {
                self.record_effect(effect, attest::IMPORT)?;
            }
        }
        Ok(())
    }
}

/// A school's candidates, as three scans that each walk an index in id order (bytewise: C
/// collation) and stop at the part's size ([`crate::candidate_bounds`]): the documents whose own
/// school it is, the notes of the visits logged in it, the prompt packs. $1 device, $2 school,
/// $3..$8 the bounds of each scan, $9 the part's size. Each with the device's mark, if any (what
/// its sync state is read from when none is stored).
const SCHOOL_CANDIDATES: &str = r#"
    SELECT doc_id, mark FROM (
      (SELECT d.doc_id, m.heads AS mark FROM documents d
         LEFT JOIN sync_marks m ON m.device_id = $1 AND m.doc_id = d.doc_id
        WHERE d.school_id = $2 AND d.doc_id COLLATE "C" > $3 AND d.doc_id COLLATE "C" <= $4
          AND (m.heads IS NULL OR m.heads <> d.heads)
        ORDER BY d.doc_id COLLATE "C" LIMIT $9)
      UNION ALL
      (SELECT n.doc_id, m.heads FROM documents g
         JOIN documents n ON n.doc_id = 'visit-notes/' || substr(g.doc_id, 11)
         LEFT JOIN sync_marks m ON m.device_id = $1 AND m.doc_id = n.doc_id
        WHERE g.school_id = $2 AND g.doc_id COLLATE "C" > $5 AND g.doc_id COLLATE "C" <= $6
          AND (m.heads IS NULL OR m.heads <> n.heads)
        ORDER BY g.doc_id COLLATE "C" LIMIT $9)
      UNION ALL
      (SELECT d.doc_id, m.heads FROM documents d
         LEFT JOIN sync_marks m ON m.device_id = $1 AND m.doc_id = d.doc_id
        WHERE d.doc_id COLLATE "C" > $7 AND d.doc_id COLLATE "C" <= $8
          AND (m.heads IS NULL OR m.heads <> d.heads)
        ORDER BY d.doc_id COLLATE "C" LIMIT $9)
    ) c
    ORDER BY doc_id COLLATE "C" LIMIT $9"#;

/// Every school's candidates (a district administrator's device), each with the device's mark:
/// $1 device, $2..$3 the bounds, $4 the part's size.
const EVERY_SCHOOLS_CANDIDATES: &str = r#"
    SELECT d.doc_id, m.heads FROM documents d
      LEFT JOIN documents g ON d.doc_id LIKE 'visit-notes/%' AND g.doc_id = 'visit-log/' || substr(d.doc_id, 13)
      LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.device_id = $1
     WHERE d.doc_id COLLATE "C" > $2 AND d.doc_id COLLATE "C" <= $3
       AND (m.heads IS NULL OR m.heads <> d.heads)
       AND (d.doc_id LIKE 'prompt-pack/%' OR coalesce(d.school_id, g.school_id) IS NOT NULL)
     ORDER BY d.doc_id COLLATE "C" LIMIT $4"#;

impl SyncDocs for PgDocs<'_, '_> {
    fn candidates(&mut self, peer: &PeerId) -> Result<Vec<DocId>, DocFailure> {
        self.flush()?; // the marks it compares with
        let rows = self
            .tx
            .query(
                "SELECT d.doc_id FROM documents d
                 LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.device_id = $1
                 WHERE m.heads IS NULL OR m.heads <> d.heads ORDER BY d.doc_id",
                &[&peer.as_str()],
            )
            .map_err(storage)?;
        Ok(rows.iter().filter_map(|r| r.get::<_, String>(0).parse().ok()).collect())
    }

    fn candidates_in(&mut self, peer: &PeerId, range: CandidateRange<'_>) -> Result<Vec<DocId>, DocFailure> {
        Ok(range.select(self.candidates(peer)?))
    }

    fn load_state(&mut self, peer: &PeerId, doc: &DocId) -> Result<Option<Vec<u8>>, DocFailure> {
        if let Some(state) = self.states.get(&(peer.clone(), *doc)) {
            return Ok(state.clone());
        }
        let key = (peer.as_str().to_string(), doc.to_string());
        self.flush_if(|p| {
            p.states.contains_key(&key) || p.dropped_states.contains(&key) || p.marks.contains_key(&key)
        })?;
        let row = self
            .tx
            .query_opt(
                "SELECT (SELECT state FROM sync_states WHERE device_id = $1 AND doc_id = $2),
                        (SELECT heads FROM sync_marks WHERE device_id = $1 AND doc_id = $2)",
                &[&peer.as_str(), &doc.to_string()],
            )
            .map_err(storage)?;
        let (state, mark): (Option<&[u8]>, Option<&[u8]>) = row.as_ref().map_or((None, None), |r| (r.get(0), r.get(1)));
        self.resumable_state(peer, doc, state, mark)
    }

    fn save_state(&mut self, peer: &PeerId, doc: &DocId, state: &[u8]) -> Result<(), DocFailure> {
        self.states.remove(&(peer.clone(), *doc));
        if let Some(pending) = self.pending.as_mut() {
            let sealed = self.sealer.seal(state_aad(peer, doc).as_bytes(), state);
            let key = (peer.as_str().to_string(), doc.to_string());
            pending.dropped_states.remove(&key);
            pending.states.insert(key, sealed);
            return Ok(());
        }
        // Nothing to remember about a document that never arrived.
        self.tx
            .execute(
                "INSERT INTO sync_states (device_id, doc_id, state)
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM documents WHERE doc_id = $2)
                 ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
                &[&peer.as_str(), &doc.to_string(), &self.sealer.seal(state_aad(peer, doc).as_bytes(), state)],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn generate(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>, DocFailure> {
        let generated = match self.cached(doc)? {
            Some(content) => untrusted::generate_sync_message(content, state),
            None => {
                untrusted::generate_sync_message(&mut AutoCommit::new_with_encoding(homevisit_docs::ENCODING), state)
            }
        };
        generated.map_err(|e| {
            self.loaded.remove(doc); // it may be half-changed
            malformed(e)
        })
    }

    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<Merged, DocFailure> {
        self.write_checked(doc, Incoming::Sync { state, message }, &mut |_, _| true).map(store_merged)
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure> {
        Ok(self.row(doc)?.map(|r| r.heads.clone()))
    }

    fn mark_synced(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        #[cfg(feature = "fault-injection")]
        homevisit_store::fault::reached(homevisit_store::fault::Fault::Marking(*doc));
        // A state read from the mark before is the old mark's.
        self.states.remove(&(peer.clone(), *doc));
        if let Some(pending) = self.pending.as_mut() {
            pending.marks.insert((peer.as_str().to_string(), doc.to_string()), encode_heads(heads.to_vec()));
            return Ok(());
        }
        self.tx
            .execute(
                "INSERT INTO sync_marks (device_id, doc_id, heads) VALUES ($1, $2, $3)
                 ON CONFLICT (device_id, doc_id) DO UPDATE SET heads = excluded.heads",
                &[&peer.as_str(), &doc.to_string(), &encode_heads(heads.to_vec())],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// The mark alone, as the device store and the embedded relay keep it: any state stored before
    /// is dropped, and `load_state` answers from the mark. (A state saved beside each mark was a
    /// row, an index entry, a seal and, on reading, an unseal more per document and device: W1 at
    /// N=1,000 on PostgreSQL, 4 alternating runs each, upload 257 -> 230 ms, download 218 -> 188.)
    fn mark_synced_whole(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        let known_none = matches!(self.states.remove(&(peer.clone(), *doc)), Some(None));
        // Nothing to drop where no state can be stored: none read here, or a document new here.
        let stored_maybe = !known_none && !self.created.contains(doc);
        match self.pending.as_mut() {
            Some(pending) => {
                let key = (peer.as_str().to_string(), doc.to_string());
                pending.states.remove(&key);
                if stored_maybe {
                    pending.dropped_states.insert(key);
                }
            }
            None if stored_maybe => {
                self.tx
                    .execute(
                        "DELETE FROM sync_states WHERE device_id = $1 AND doc_id = $2",
                        &[&peer.as_str(), &doc.to_string()],
                    )
                    .map_err(storage)?;
            }
            None => {}
        }
        self.mark_synced(peer, doc, heads)
    }

    fn snapshot(&mut self, doc: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), DocFailure> {
        if let Some(stored) = self.snapshots.remove(doc) {
            return Ok(stored);
        }
        self.stored(doc)?.ok_or(DocFailure::Rejected(RejectReason::Malformed))
    }

    fn read_snapshots_ahead(&mut self, docs: &[DocId]) -> Result<(), DocFailure> {
        self.snapshots.clear();
        self.flush_if_written(docs)?;
        let ids: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
        // In the order given, while what came before is within the batch's data budget: a batch
        // sends no more (sizes are read from the rows without reading their data).
        let rows = self
            .tx
            .query(
                "SELECT doc_id, data, heads, school_id, educator_ids, family_id FROM (
                   SELECT d.doc_id, d.data, d.heads, d.school_id, d.educator_ids, d.family_id, u.n,
                          sum(octet_length(d.data)) OVER (ORDER BY u.n) - octet_length(d.data) AS before
                   FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n) JOIN documents d ON d.doc_id = u.id
                 ) s WHERE before < $2 ORDER BY n",
                &[&ids, &(homevisit_protocol::MAX_BATCH_DATA_BYTES as i64)],
            )
            .map_err(storage)?;
        for r in rows {
            let Ok(doc) = r.get::<_, &str>(0).parse::<DocId>() else { continue };
            // Its other columns, for what this transaction asks next (its heads, to mark it).
            self.rows.insert(doc, Some(RowInfo::read(&r, 2)));
            let stored = (self.unseal(&doc, r.get(1))?, decode_heads(r.get(2)));
            self.snapshots.insert(doc, stored);
        }
        Ok(())
    }

    fn receive_snapshot(&mut self, doc: &DocId, bytes: &[u8]) -> Result<Merged, DocFailure> {
        self.write_checked(doc, Incoming::Whole(bytes), &mut |_, _| true).map(store_merged)
    }

    fn preload_snapshots(&mut self, snapshots: &[(DocId, &[u8])]) {
        self.preloaded.clear();
        if snapshots.is_empty() {
            return;
        }
        // The spare cores start before the locks are taken, so they work while this connection
        // waits on the database (the lock, the reads below): whether each is new is taken from
        // its row as read ahead (`read_ahead`, just before), not under the lock. It is only a
        // hint: each write decides under the lock, and work done for the wrong case is not taken.
        let snapshots: Vec<(DocId, &[u8], bool)> =
            snapshots.iter().map(|(doc, bytes)| (*doc, *bytes, !matches!(self.rows.get(doc), Some(Some(_))))).collect();
        self.preloaded.work_on(&snapshots);
        // Locked now, in one go; a failure here is met again, and answered, by each write.
        let ids: Vec<DocId> = snapshots.iter().map(|(doc, _, _)| *doc).collect();
        if self.lock_ahead(&ids).is_err() {
            return;
        }
        // With each visit log, the records its check reads: its family and educators.
        let (mut families, mut records) = (Vec::new(), Vec::new());
        for (doc, _, _) in snapshots.iter().filter(|(doc, _, _)| doc.kind == DocKind::VisitLog) {
            let log = match self.preloaded.get(doc) {
                Some(ReceivedWhole::New { content: Content::VisitLog(log), .. }) => Some(Cow::Borrowed(log)),
                Some(ReceivedWhole::Loaded(content)) => {
                    untrusted::contained("reading a visit log", || homevisit_docs::read_record::<VisitLog>(content))
                        .ok()
                        .map(Cow::Owned)
                }
                _ => None,
            };
            if let Some(log) = log {
                families.push(log.plan.family_id);
                records.push(DocId::new(DocKind::Family, log.plan.family_id.uuid()));
                records.extend(log.plan.educator_ids.iter().map(|e| DocId::new(DocKind::Educator, e.uuid())));
            }
        }
        // Read now in two queries rather than one for each log as it is checked; a failure here
        // is met again, and answered, by the check's own read.
        let _ = self.read_rows_ahead(&records);
        let _ = self.read_declines_ahead(&families);
    }
}

impl Records for PgDocs<'_, '_> {
    fn scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure> {
        let Some(row) = self.row(doc)? else { return Ok(None) };
        Ok(Some(Scope {
            school: row.school.as_ref().and_then(|s| s.parse().ok()),
            educators: row.educators.iter().filter_map(|e| e.parse().ok()).collect(),
            ..Scope::default()
        }))
    }

    fn contributors(&mut self, visit: VisitId) -> Result<Vec<EducatorId>, DocFailure> {
        // Only this visit's own contributors written since need writing first.
        let visit_id = visit.to_string();
        self.flush_if(|p| p.contributors.iter().any(|(v, _)| *v == visit_id))?;
        let rows = self
            .tx
            .query("SELECT educator_id FROM visit_contributors WHERE visit_id = $1", &[&visit.to_string()])
            .map_err(storage)?;
        Ok(rows.iter().filter_map(|r| r.get::<_, String>(0).parse().ok()).collect())
    }

    fn deleted(&mut self, doc: &DocId) -> Result<bool, DocFailure> {
        if let Some(deleted) = self.tombstones.get(doc) {
            return Ok(*deleted);
        }
        let deleted = !self.deleted_among(std::slice::from_ref(doc))?.is_empty();
        self.tombstones.insert(*doc, deleted);
        Ok(deleted)
    }

    fn attested(&mut self, visit: VisitId) -> Result<Option<[Option<EducatorId>; 3]>, DocFailure> {
        if let Some(latest) = self.attested.get(&visit) {
            return Ok(*latest);
        }
        // Only this visit's own attestations recorded since need writing first.
        let visit_id = visit.to_string();
        self.flush_if(|p| p.attests_any(|visit| *visit == visit_id))?;
        attestations::attested(&mut self.tx, visit).map_err(storage)
    }

    fn stored_visit_log(&mut self, visit: VisitId) -> Result<Option<VisitLog>, DocFailure> {
        let id = DocId::new(DocKind::VisitLog, visit.uuid());
        Ok(self.stored(&id)?.and_then(|(bytes, _)| attest::checked_visit_log(&id, &bytes)))
    }

    fn open_declines(&mut self, family: FamilyId) -> Result<Vec<VisitId>, DocFailure> {
        if let Some(open) = self.declines.get(&family) {
            return Ok(open.clone());
        }
        let mut open = attestations::open_declines_among(&mut self.tx, &[family]).map_err(storage)?;
        Ok(open.remove(&family).unwrap_or_default())
    }

    fn visit_family(&mut self, visit: VisitId) -> Result<Option<FamilyId>, DocFailure> {
        let id = DocId::new(DocKind::VisitLog, visit.uuid());
        Ok(self.row(&id)?.and_then(|r| r.family.as_ref()).and_then(|f| f.parse().ok()))
    }
}

impl DocStorage for PgDocs<'_, '_> {
    fn apply_checked(
        &mut self,
        doc: &DocId,
        incoming: Incoming<'_>,
        judge: &mut Judge<'_>,
    ) -> Result<Applied, DocFailure> {
        self.write_checked(doc, incoming, judge)
    }

    fn record_contributor(&mut self, visit: VisitId, educator: EducatorId) -> Result<(), DocFailure> {
        if let Some(pending) = self.pending.as_mut() {
            pending.contributors.insert((visit.to_string(), educator.to_string()));
            return Ok(());
        }
        self.tx
            .execute(
                "INSERT INTO visit_contributors (visit_id, educator_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&visit.to_string(), &educator.to_string()],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn record_effect(&mut self, effect: &Effect, device: &str) -> Result<(), DocFailure> {
        match effect {
            Effect::Attest { visit, .. } => drop(self.attested.remove(visit)),
            Effect::Decline { family, .. } | Effect::Lift { family, .. } => drop(self.declines.remove(family)),
        }
        if let Some(pending) = self.pending.as_mut()
            && let Some(row) = attestations::attestation_row(effect, device)
        {
            pending.attestations.push(row);
            return Ok(());
        }
        attestations::record_effect(&mut self.tx, effect, device).map_err(storage)
    }

    fn discard_pending(&mut self, _doc: &DocId) {
        // Nothing is kept of a document that has no content yet (see `write_checked`).
    }

    fn read_ahead(&mut self, docs: &[DocId]) -> Result<(), DocFailure> {
        self.read_rows_ahead(docs)
    }

    fn candidates_of_school(
        &mut self,
        peer: &PeerId,
        school: Option<SchoolId>,
        range: CandidateRange<'_>,
    ) -> Result<Vec<DocId>, DocFailure> {
        self.flush()?; // the marks it compares with
        let limit = candidate_bounds::limit(range);
        let own = candidate_bounds::own(range);
        let rows = match school {
            Some(school) => {
                let (notes, packs) = (candidate_bounds::notes_as_logs(range), candidate_bounds::prompt_packs(range));
                self.tx.query(
                    SCHOOL_CANDIDATES,
                    &[
                        &peer.as_str(),
                        &school.to_string(),
                        &own.after,
                        &own.upto,
                        &notes.after,
                        &notes.upto,
                        &packs.after,
                        &packs.upto,
                        &limit,
                    ],
                )
            }
            None => self.tx.query(EVERY_SCHOOLS_CANDIDATES, &[&peer.as_str(), &own.after, &own.upto, &limit]),
        }
        .map_err(storage)?;
        let marked: Vec<(DocId, Option<Vec<u8>>)> =
            rows.iter().filter_map(|r| Some((r.get::<_, String>(0).parse().ok()?, r.get(1)))).collect();
        self.read_states_ahead(peer, &marked)?;
        let docs: Vec<DocId> = marked.into_iter().map(|(doc, _)| doc).collect();
        self.read_rows_ahead(&docs)?;
        Ok(docs)
    }

    fn offer_cursor(&mut self, peer: &PeerId) -> Result<Option<DocId>, DocFailure> {
        let row = self
            .tx
            .query_opt("SELECT doc_id FROM offer_cursors WHERE device_id = $1", &[&peer.as_str()])
            .map_err(storage)?;
        Ok(row.and_then(|r| r.get::<_, String>(0).parse().ok()))
    }

    fn save_offer_cursor(&mut self, peer: &PeerId, cursor: Option<DocId>) -> Result<(), DocFailure> {
        match cursor {
            Some(doc) => self.tx.execute(
                "INSERT INTO offer_cursors (device_id, doc_id) VALUES ($1, $2)
                 ON CONFLICT (device_id) DO UPDATE SET doc_id = excluded.doc_id",
                &[&peer.as_str(), &doc.to_string()],
            ),
            None => self.tx.execute("DELETE FROM offer_cursors WHERE device_id = $1", &[&peer.as_str()]),
        }
        .map_err(storage)?;
        Ok(())
    }

    fn usage(&mut self, device: &DeviceId) -> Result<Usage, DocFailure> {
        if let Some(usage) = self.usage.get(device) {
            return Ok(*usage);
        }
        let row = self
            .tx
            .query_opt("SELECT documents, bytes FROM device_usage WHERE device_id = $1", &[&device.as_str()])
            .map_err(storage)?;
        let usage = row
            .map(|r| Usage { documents: r.get::<_, i64>(0).max(0) as u64, bytes: r.get::<_, i64>(1).max(0) as u64 })
            .unwrap_or_default();
        self.usage.insert(device.clone(), usage);
        Ok(usage)
    }

    fn add_usage(&mut self, device: &DeviceId, added: Usage) -> Result<(), DocFailure> {
        if self.pending.is_some() {
            // Read first, so what this transaction reads of it includes what it has added.
            let mut usage = self.usage(device)?;
            usage.documents += added.documents;
            usage.bytes += added.bytes;
            self.usage.insert(device.clone(), usage);
            let pending = self.pending.as_mut().expect("checked above");
            let sum = pending.usage.entry(device.as_str().to_string()).or_default();
            sum.0 += added.documents as i64;
            sum.1 += added.bytes as i64;
            return Ok(());
        }
        self.tx
            .execute(
                "INSERT INTO device_usage (device_id, documents, bytes) VALUES ($1, $2, $3)
                 ON CONFLICT (device_id) DO UPDATE SET documents = device_usage.documents + excluded.documents,
                                                       bytes = device_usage.bytes + excluded.bytes",
                &[&device.as_str(), &(added.documents as i64), &(added.bytes as i64)],
            )
            .map_err(storage)?;
        if let Some(usage) = self.usage.get_mut(device) {
            usage.documents += added.documents;
            usage.bytes += added.bytes;
        }
        Ok(())
    }
}
