//! Per (peer, document) sync bookkeeping: the Automerge sync state (so a resumed sync sends only
//! what the peer lacks) and the heads the peer is known to hold (so "unsynced" is exact).

use automerge::ChangeHash;
use automerge::sync::{Message, State};
use homevisit_docs::{DocId, untrusted};
use rusqlite::{OptionalExtension, params};

use crate::documents::{Applied, Incoming, encode_heads};
use crate::error::{Result, StoreError};
use crate::{Index, Store};

impl<I: Index> Store<I> {
    /// The encoded `automerge::sync::State` last saved for `peer` and `doc`.
    pub fn sync_state(&self, peer: &str, doc: &DocId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT state FROM sync_states WHERE peer_id = ?1 AND doc_id = ?2")?
            .query_row(params![peer, doc.to_string()], |r| r.get(0))
            .optional()?)
    }

    pub fn save_sync_state(&mut self, peer: &str, doc: &DocId, state: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_states (peer_id, doc_id, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer_id, doc_id) DO UPDATE SET state = excluded.state",
            )?
            .execute(params![peer, doc.to_string(), state])?;
        Ok(())
    }

    /// Records that `peer` holds the document at `heads` (as its sync messages acknowledged).
    pub fn mark_synced(&mut self, peer: &str, doc: &DocId, heads: &[ChangeHash]) -> Result<()> {
        #[cfg(feature = "fault-injection")]
        crate::fault::reached(crate::fault::Fault::Marking(*doc));
        self.conn
            .prepare_cached(
                "INSERT INTO sync_marks (peer_id, doc_id, heads) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer_id, doc_id) DO UPDATE SET heads = excluded.heads",
            )?
            .execute(params![peer, doc.to_string(), encode_heads(heads.to_vec())])?;
        Ok(())
    }

    /// Forgets everything about `peer` (e.g. after the relay lost its data): the next sync starts over.
    pub fn forget_peer(&mut self, peer: &str) -> Result<()> {
        let tx = self.conn.savepoint()?;
        tx.execute("DELETE FROM sync_states WHERE peer_id = ?1", [peer])?;
        tx.execute("DELETE FROM sync_marks WHERE peer_id = ?1", [peer])?;
        tx.commit()?;
        Ok(())
    }
}

impl<I: Index> Store<I> {
    /// The next Automerge sync message for `doc` and the peer whose `state` this is, or `None`
    /// when there is nothing to say. Contained: a document that makes Automerge panic here is an
    /// error about that document (and is dropped from memory).
    pub fn generate_sync_message(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>> {
        let generated = match self.incoming.get_mut(doc) {
            Some(pending) => untrusted::generate_sync_message(pending, state),
            None => untrusted::generate_sync_message(self.cached(doc)?, state),
        };
        generated.map_err(|e| {
            self.forget_in_memory(doc);
            StoreError::doc(*doc)(e)
        })
    }

    /// Applies a peer's sync message to `doc`, storing any new changes durably before returning
    /// (if they pass [`homevisit_docs::check`]). A document this device has never had is kept in
    /// memory until changes arrive ([`Applied::Pending`]), then checked and stored.
    pub fn receive_sync_message(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<Applied> {
        self.apply_received(doc, Incoming::Sync { state, message }, |_, _| true)
    }
}

/// What has not reached a peer: the document store's own tables, for any index.
impl<I: Index> Store<I> {
    /// Documents whose current state `peer` is not known to have: exactly what has not reached it.
    pub fn unsynced_documents(&self, peer: &str) -> Result<Vec<DocId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.doc_id FROM documents d
             LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.peer_id = ?1
             WHERE m.heads IS NULL OR m.heads != d.heads ORDER BY d.doc_id",
        )?;
        let ids = stmt.query_map([peer], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
    }

    pub fn unsynced_count(&self, peer: &str) -> Result<usize> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM documents d
             LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.peer_id = ?1
             WHERE m.heads IS NULL OR m.heads != d.heads",
            )?
            .query_row([peer], |r| r.get(0))?;
        Ok(n as usize)
    }
}
