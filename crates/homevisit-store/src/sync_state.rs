//! Per (peer, document) sync bookkeeping: the Automerge sync state (so a resumed sync sends only
//! what the peer lacks) and the heads the peer is known to hold (so "unsynced" is exact), each kept
//! under a [`PeerId`].

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use automerge::ChangeHash;
use automerge::sync::{Message, State};
use homevisit_docs::{DocId, untrusted};
use rusqlite::{OptionalExtension, params};

use crate::documents::{Applied, Incoming, encode_heads};
use crate::error::{Result, StoreError};
use crate::{Index, Store};

/// Whom sync state and marks are kept for: the peer of a sync session. A device calls the relay
/// [`PeerId::RELAY`]; the relay calls each device by its relay-issued device id (a UUID); two
/// phones syncing directly call each other by an id of the same form. Never free text: 1 to
/// [`PeerId::MAX_LEN`] lowercase ASCII letters, digits and hyphens, so no name, sentence or other
/// family data can be a peer id. Checked once, where the text comes in ([`PeerId::parse`]);
/// stored (the `peer_id`/`device_id` columns) and shown exactly as given.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(Cow<'static, str>);

/// Text that is not a [`PeerId`]. Does not repeat the text (it could be anything).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a sync peer id (1 to 64 lowercase letters, digits and hyphens)")]
pub struct InvalidPeerId;

impl PeerId {
    /// The longest peer id (a device id is 36 characters).
    pub const MAX_LEN: usize = 64;
    /// A device's name for the relay it syncs with (the `peer_id` of its relay sync state).
    pub const RELAY: PeerId = PeerId(Cow::Borrowed("relay"));

    /// `text` as a peer id, if it is one (see [`PeerId`]).
    pub fn parse(text: &str) -> std::result::Result<PeerId, InvalidPeerId> {
        let valid = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid { Ok(PeerId(Cow::Owned(text.to_owned()))) } else { Err(InvalidPeerId) }
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for PeerId {
    type Err = InvalidPeerId;
    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        PeerId::parse(text)
    }
}

/// The encoded sync state of two sides that both hold a document at `heads` and know it (what a
/// session saves after the document went whole between them).
pub fn shared_sync_state(heads: &[ChangeHash]) -> Vec<u8> {
    let mut state = State::new();
    state.shared_heads = heads.to_vec();
    state.encode()
}

impl<I: Index> Store<I> {
    /// The state a session with `peer` resumes `doc` from: the one last saved or, for a document
    /// last exchanged whole (marked alone: [`Store::mark_synced_whole`]), the state both sides
    /// holding the marked heads would have saved. `None` if neither is kept.
    pub fn resumable_sync_state(&self, peer: &PeerId, doc: &DocId) -> Result<Option<Vec<u8>>> {
        // One statement for both (a relay asks this of every document it offers a device).
        let (state, mark): (Option<Vec<u8>>, Option<Vec<u8>>) = self
            .conn
            .prepare_cached(
                "SELECT (SELECT state FROM sync_states WHERE peer_id = ?1 AND doc_id = ?2),
                        (SELECT heads FROM sync_marks WHERE peer_id = ?1 AND doc_id = ?2)",
            )?
            .query_row(params![peer.as_str(), doc.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(state.or_else(|| mark.map(|heads| shared_sync_state(&crate::documents::decode_heads(&heads)))))
    }

    /// Records that `peer` holds `doc` at `heads`, which this store holds too, after the document
    /// went whole between them: the mark alone is kept, and any state saved before is dropped, so
    /// [`Store::resumable_sync_state`] answers from the mark. (A state saved beside each mark was
    /// a row and an index entry more per document and peer, written at every sync: 5% of the
    /// relay's work storing an upload.)
    pub fn mark_synced_whole(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM sync_states WHERE peer_id = ?1 AND doc_id = ?2")?
            .execute(params![peer.as_str(), doc.to_string()])?;
        self.mark_synced(peer, doc, heads)
    }

    /// The encoded `automerge::sync::State` last saved for `peer` and `doc`.
    pub fn sync_state(&self, peer: &PeerId, doc: &DocId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT state FROM sync_states WHERE peer_id = ?1 AND doc_id = ?2")?
            .query_row(params![peer.as_str(), doc.to_string()], |r| r.get(0))
            .optional()?)
    }

    pub fn save_sync_state(&mut self, peer: &PeerId, doc: &DocId, state: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_states (peer_id, doc_id, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer_id, doc_id) DO UPDATE SET state = excluded.state",
            )?
            .execute(params![peer.as_str(), doc.to_string(), state])?;
        Ok(())
    }

    /// As [`Store::save_sync_state`], only if `doc` is stored (one statement). A session saves a
    /// state for every document it spoke about, including one the peer only began to send.
    pub fn save_sync_state_if_stored(&mut self, peer: &PeerId, doc: &DocId, state: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_states (peer_id, doc_id, state)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM documents WHERE doc_id = ?2)
                 ON CONFLICT (peer_id, doc_id) DO UPDATE SET state = excluded.state",
            )?
            .execute(params![peer.as_str(), doc.to_string(), state])?;
        Ok(())
    }

    /// Records that `peer` holds the document at `heads` (as its sync messages acknowledged).
    pub fn mark_synced(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<()> {
        #[cfg(feature = "fault-injection")]
        crate::fault::reached(crate::fault::Fault::Marking(*doc));
        self.conn
            .prepare_cached(
                "INSERT INTO sync_marks (peer_id, doc_id, heads) VALUES (?1, ?2, ?3)
                 ON CONFLICT (peer_id, doc_id) DO UPDATE SET heads = excluded.heads",
            )?
            .execute(params![peer.as_str(), doc.to_string(), encode_heads(heads.to_vec())])?;
        Ok(())
    }

    /// Forgets everything about `peer` (e.g. after the relay lost its data): the next sync starts over.
    pub fn forget_peer(&mut self, peer: &PeerId) -> Result<()> {
        let tx = self.conn.savepoint()?;
        tx.execute("DELETE FROM sync_states WHERE peer_id = ?1", [peer.as_str()])?;
        tx.execute("DELETE FROM sync_marks WHERE peer_id = ?1", [peer.as_str()])?;
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
    pub fn unsynced_documents(&self, peer: &PeerId) -> Result<Vec<DocId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.doc_id FROM documents d
             LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.peer_id = ?1
             WHERE m.heads IS NULL OR m.heads != d.heads ORDER BY d.doc_id",
        )?;
        let ids = stmt.query_map([peer.as_str()], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
    }

    pub fn unsynced_count(&self, peer: &PeerId) -> Result<usize> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM documents d
             LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.peer_id = ?1
             WHERE m.heads IS NULL OR m.heads != d.heads",
            )?
            .query_row([peer.as_str()], |r| r.get(0))?;
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::PeerId;

    #[test]
    fn peer_ids_are_short_lowercase_ids_never_free_text() {
        for ok in ["relay", "0b1f6c2e-8f5a-4c1e-9d3b-6a7e2f4c5d10", "phone-b", "p", &"a".repeat(PeerId::MAX_LEN)] {
            assert_eq!(PeerId::parse(ok).map(|p| p.to_string()), Ok(ok.to_string()), "{ok}");
        }
        let long = "a".repeat(PeerId::MAX_LEN + 1);
        for bad in ["", "Relay", "Sofia Garcia", "sofia garcia", "a_b", "a.b", "a/b", "é", "relay\n", &long] {
            assert!(PeerId::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(PeerId::RELAY.as_str(), "relay");
        assert_eq!("relay".parse::<PeerId>(), Ok(PeerId::RELAY));
    }
}
