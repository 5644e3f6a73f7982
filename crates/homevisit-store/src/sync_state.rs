//! Per (peer, document) sync bookkeeping: the Automerge sync state (so a resumed sync sends only
//! what the peer lacks) and the heads the peer is known to hold (so "unsynced" is exact).

use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use homevisit_docs::{DocError, DocId};
use rusqlite::{OptionalExtension, params};

use crate::Store;
use crate::documents::encode_heads;
use crate::error::{Result, StoreError};

impl Store {
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

impl Store {
    /// The next Automerge sync message for `doc` and the peer whose `state` this is, or `None`
    /// when there is nothing to say.
    pub fn generate_sync_message(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>> {
        if let Some(pending) = self.incoming.get_mut(doc) {
            return Ok(pending.sync().generate_sync_message(state));
        }
        Ok(self.cached(doc)?.sync().generate_sync_message(state))
    }

    /// Applies a peer's sync message to `doc`, storing any new changes durably before returning.
    /// A document this device has never had is kept in memory until changes arrive, then checked
    /// (kind and schema) and stored.
    pub fn receive_sync_message(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<()> {
        self.receive_sync_message_checked(doc, state, message, |_| true)
    }

    /// Like [`Store::receive_sync_message`], but `allowed` judges the document as it would be after
    /// the message; if it says no, nothing is stored and the result is [`StoreError::Forbidden`].
    /// (A relay uses this so a device cannot, say, move a visit into another school.)
    pub fn receive_sync_message_checked(
        &mut self,
        doc: &DocId,
        state: &mut State,
        message: Message,
        allowed: impl FnOnce(&mut AutoCommit) -> bool,
    ) -> Result<()> {
        if self.contains_document(doc)? {
            return self.edit_document_checked(
                doc,
                |d| d.sync().receive_sync_message(state, message).map_err(DocError::from),
                allowed,
            );
        }
        let mut pending =
            self.incoming.remove(doc).unwrap_or_else(|| AutoCommit::new_with_encoding(homevisit_docs::ENCODING));
        pending.sync().receive_sync_message(state, message).map_err(|e| StoreError::doc(*doc)(e.into()))?;
        if pending.get_heads().is_empty() {
            self.incoming.insert(*doc, pending);
            return Ok(());
        }
        self.insert_received(doc, pending, None, allowed)
    }
}
