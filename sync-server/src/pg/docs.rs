//! Documents, sync states and sync marks in PostgreSQL, inside one request's transaction.
//!
//! A document is one row holding its whole Automerge save. A write locks the row
//! (`SELECT ... FOR UPDATE`), merges into what is stored *now*, and writes the result back, so
//! two relay instances changing the same document at once both keep their changes.

use std::collections::HashMap;

use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use homevisit_docs::DocId;
use homevisit_protocol::RejectReason;
use homevisit_store::DocScope;
use homevisit_sync::{Access, DocFailure, SyncDocs};
use postgres::Transaction;

use crate::backend::DocStorage;
use crate::pg::seal::Sealer;
use crate::relay_docs::content_scope;

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

fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes.chunks_exact(32).map(|c| ChangeHash(c.try_into().expect("32 bytes"))).collect()
}

/// A stored document's bytes and heads.
type Stored = (Vec<u8>, Vec<ChangeHash>);

/// What a sync state is bound to: its device and document.
fn state_aad(device: &str, doc: &DocId) -> String {
    format!("{device} {doc}")
}

pub(crate) struct PgDocs<'a, 't> {
    tx: &'a mut Transaction<'t>,
    sealer: &'a Sealer,
    /// Documents loaded during this transaction (a session may generate several messages for one).
    loaded: HashMap<DocId, AutoCommit>,
}

impl<'a, 't> PgDocs<'a, 't> {
    pub(crate) fn new(tx: &'a mut Transaction<'t>, sealer: &'a Sealer) -> Self {
        Self { tx, sealer, loaded: HashMap::new() }
    }

    /// A document's stored bytes, unsealed.
    fn unseal(&self, doc: &DocId, sealed: &[u8]) -> Result<Vec<u8>, DocFailure> {
        self.sealer.open(doc.to_string().as_bytes(), sealed).map_err(|e| DocFailure::Storage(Box::new(e)))
    }

    fn load_sealed(&self, doc: &DocId, sealed: &[u8]) -> Result<AutoCommit, DocFailure> {
        homevisit_docs::load(&self.unseal(doc, sealed)?).map_err(|e| DocFailure::Storage(Box::new(e)))
    }

    /// The stored document, read once per transaction; `None` if new.
    fn cached(&mut self, doc: &DocId) -> Result<Option<&mut AutoCommit>, DocFailure> {
        if !self.loaded.contains_key(doc) {
            let Some(row) = self
                .tx
                .query_opt("SELECT data FROM documents WHERE doc_id = $1", &[&doc.to_string()])
                .map_err(storage)?
            else {
                return Ok(None);
            };
            let loaded = self.load_sealed(doc, row.get(0))?;
            self.loaded.insert(*doc, loaded);
        }
        Ok(self.loaded.get_mut(doc))
    }

    /// The stored document as it is *now*, its row locked until this transaction ends (another
    /// instance may have changed it since this transaction first read it); `None` if new.
    fn load_for_update(&mut self, doc: &DocId) -> Result<Option<AutoCommit>, DocFailure> {
        let row = self
            .tx
            .query_opt("SELECT data FROM documents WHERE doc_id = $1 FOR UPDATE", &[&doc.to_string()])
            .map_err(storage)?;
        row.map(|r| self.load_sealed(doc, r.get(0))).transpose()
    }

    /// Writes `content` as the document's new state (with the scope its content gives it).
    fn store(&mut self, doc: &DocId, mut content: AutoCommit) -> Result<(), DocFailure> {
        let scope = content_scope(doc, &content, None).unwrap_or_default();
        let school = scope.school.map(|s| s.to_string());
        let educators: Vec<String> = scope.educators.iter().map(|e| e.to_string()).collect();
        let heads = encode_heads(content.get_heads());
        let sealed = self.sealer.seal(doc.to_string().as_bytes(), &content.save());
        self.tx
            .execute(
                "INSERT INTO documents (doc_id, data, heads, school_id, educator_ids) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, heads = excluded.heads,
                   school_id = excluded.school_id, educator_ids = excluded.educator_ids, updated_at = now()",
                &[&doc.to_string(), &sealed, &heads, &school, &educators],
            )
            .map_err(storage)?;
        self.loaded.insert(*doc, content);
        Ok(())
    }

    /// Applies `change` to the document as stored now (or to a new one), and stores the result if
    /// it changed anything and `allowed` accepts it.
    fn write_checked(
        &mut self,
        doc: &DocId,
        change: impl FnOnce(&mut AutoCommit) -> Result<(), DocFailure>,
        allowed: &mut dyn FnMut(&mut AutoCommit) -> bool,
    ) -> Result<(), DocFailure> {
        let stored = self.load_for_update(doc)?;
        let is_new = stored.is_none();
        let mut content = stored.unwrap_or_else(|| AutoCommit::new_with_encoding(homevisit_docs::ENCODING));
        let before = content.get_heads();
        change(&mut content)?;
        if content.get_heads() == before {
            return Ok(()); // nothing new (or, for a new document, nothing yet)
        }
        if is_new {
            // As a device does with a document new to it: check its kind and bring its schema up.
            homevisit_docs::upgrade(&mut content, doc.kind).map_err(malformed)?;
        }
        if !allowed(&mut content) {
            return Err(DocFailure::Rejected(RejectReason::Forbidden));
        }
        self.store(doc, content)
    }

    /// The document as stored (unsealed) and its heads, read without loading it; `None` if new.
    pub(crate) fn stored(&mut self, doc: &DocId) -> Result<Option<Stored>, DocFailure> {
        let row = self
            .tx
            .query_opt("SELECT data, heads FROM documents WHERE doc_id = $1", &[&doc.to_string()])
            .map_err(storage)?;
        row.map(|r| Ok((self.unseal(doc, r.get(0))?, decode_heads(r.get(1))))).transpose()
    }

    /// Merges a whole document unchecked (an administrator's import).
    pub(crate) fn import(&mut self, doc: &DocId, bytes: &[u8]) -> Result<(), DocFailure> {
        self.merge_checked(doc, bytes, &mut |_| true)
    }
}

impl SyncDocs for PgDocs<'_, '_> {
    fn candidates(&mut self, peer: &str) -> Result<Vec<DocId>, DocFailure> {
        let rows = self
            .tx
            .query(
                "SELECT d.doc_id FROM documents d
                 LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.device_id = $1
                 WHERE m.heads IS NULL OR m.heads <> d.heads ORDER BY d.doc_id",
                &[&peer],
            )
            .map_err(storage)?;
        Ok(rows.iter().filter_map(|r| r.get::<_, String>(0).parse().ok()).collect())
    }

    fn access(&mut self, _peer: &str, _doc: &DocId) -> Result<Access, DocFailure> {
        Ok(Access::ReadWrite) // decided by RelayDocs, which wraps this
    }

    fn load_state(&mut self, peer: &str, doc: &DocId) -> Result<Option<Vec<u8>>, DocFailure> {
        let row = self
            .tx
            .query_opt("SELECT state FROM sync_states WHERE device_id = $1 AND doc_id = $2", &[&peer, &doc.to_string()])
            .map_err(storage)?;
        row.map(|r| self.sealer.open(state_aad(peer, doc).as_bytes(), r.get(0)))
            .transpose()
            .map_err(|e| DocFailure::Storage(Box::new(e)))
    }

    fn save_state(&mut self, peer: &str, doc: &DocId, state: &[u8]) -> Result<(), DocFailure> {
        // Nothing to remember about a document that never arrived.
        self.tx
            .execute(
                "INSERT INTO sync_states (device_id, doc_id, state)
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM documents WHERE doc_id = $2)
                 ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state",
                &[&peer, &doc.to_string(), &self.sealer.seal(state_aad(peer, doc).as_bytes(), state)],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn generate(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>, DocFailure> {
        Ok(match self.cached(doc)? {
            Some(content) => content.sync().generate_sync_message(state),
            None => AutoCommit::new_with_encoding(homevisit_docs::ENCODING).sync().generate_sync_message(state),
        })
    }

    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<(), DocFailure> {
        self.receive_checked(doc, state, message, &mut |_| true)
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure> {
        let row =
            self.tx.query_opt("SELECT heads FROM documents WHERE doc_id = $1", &[&doc.to_string()]).map_err(storage)?;
        Ok(row.map(|r| decode_heads(r.get(0))))
    }

    fn mark_synced(&mut self, peer: &str, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        self.tx
            .execute(
                "INSERT INTO sync_marks (device_id, doc_id, heads) VALUES ($1, $2, $3)
                 ON CONFLICT (device_id, doc_id) DO UPDATE SET heads = excluded.heads",
                &[&peer, &doc.to_string(), &encode_heads(heads.to_vec())],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn snapshot(&mut self, doc: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), DocFailure> {
        self.stored(doc)?.ok_or(DocFailure::Rejected(RejectReason::Malformed))
    }

    fn receive_snapshot(&mut self, doc: &DocId, bytes: &[u8]) -> Result<(), DocFailure> {
        self.merge_checked(doc, bytes, &mut |_| true)
    }
}

impl DocStorage for PgDocs<'_, '_> {
    fn document_scope(&mut self, doc: &DocId) -> Result<Option<DocScope>, DocFailure> {
        let row = self
            .tx
            .query_opt("SELECT school_id, educator_ids FROM documents WHERE doc_id = $1", &[&doc.to_string()])
            .map_err(storage)?;
        let Some(row) = row else { return Ok(None) };
        let school: Option<String> = row.get(0);
        let educators: Vec<String> = row.get(1);
        Ok(Some(DocScope {
            school: school.and_then(|s| s.parse().ok()),
            educators: educators.iter().filter_map(|e| e.parse().ok()).collect(),
        }))
    }

    fn merge_checked(
        &mut self,
        doc: &DocId,
        bytes: &[u8],
        allowed: &mut dyn FnMut(&mut AutoCommit) -> bool,
    ) -> Result<(), DocFailure> {
        // Strict load first: damaged bytes are refused whole instead of half-applied.
        let mut incoming = homevisit_docs::load(bytes).map_err(malformed)?;
        self.write_checked(doc, |content| content.merge(&mut incoming).map(|_| ()).map_err(malformed), allowed)
    }

    fn receive_checked(
        &mut self,
        doc: &DocId,
        state: &mut State,
        message: Message,
        allowed: &mut dyn FnMut(&mut AutoCommit) -> bool,
    ) -> Result<(), DocFailure> {
        self.write_checked(
            doc,
            |content| content.sync().receive_sync_message(state, message).map_err(malformed),
            allowed,
        )
    }
}
