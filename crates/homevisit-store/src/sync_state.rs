//! Per (peer, document) sync bookkeeping: the Automerge sync state (so a resumed sync sends only
//! what the peer lacks) and the heads the peer is known to hold (so "unsynced" is exact).

use automerge::ChangeHash;
use homevisit_docs::DocId;
use rusqlite::{OptionalExtension, params};

use crate::Store;
use crate::documents::encode_heads;
use crate::error::Result;

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
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM sync_states WHERE peer_id = ?1", [peer])?;
        tx.execute("DELETE FROM sync_marks WHERE peer_id = ?1", [peer])?;
        tx.commit()?;
        Ok(())
    }
}
