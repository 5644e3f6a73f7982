//! The sync engine, independent of transport.
//!
//! A [`Session`] syncs many documents with one peer in rounds: each round is one [`SyncBatch`] out
//! and one back. The first round offers every document the peer is not known to have; later rounds
//! continue the documents in flight. When the session finishes it persists each document's sync
//! state (so the next session sends only what the peer lacks) and marks the documents the peer now
//! holds (so "unsynced" is exact). A session that is abandoned midway (a lost request or response)
//! persists nothing; the next one starts fresh from the last persisted state and converges.
//!
//! The same engine serves a device (over [`homevisit_store::Store`]), the relay (over its own
//! storage), and two phones syncing directly ([`PeerSync`]: bytes in, bytes out).

#[cfg(feature = "http")]
pub mod agent;
#[cfg(feature = "http")]
pub mod client;
#[cfg(feature = "http")]
pub mod device_session;
mod peer;
mod session;
mod store_docs;

pub use store_docs::failure as store_failure;

pub use homevisit_protocol::{RejectReason, SyncBatch};
pub use peer::PeerSync;
pub use session::{Session, SyncReport};

use automerge::ChangeHash;
use automerge::sync::{Message, State};
use homevisit_docs::DocId;

/// What a peer may do with a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    None,
    Read,
    ReadWrite,
}

/// A failure while syncing one document.
#[derive(Debug, thiserror::Error)]
pub enum DocFailure {
    /// This document's message is refused; the rest of the batch goes on.
    #[error("refused: {0:?}")]
    Rejected(RejectReason),
    /// Storage failed: the whole session stops (and persists nothing).
    #[error("storage failed: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Storage the engine syncs: documents, their per-peer sync state, and access rules.
pub trait SyncDocs {
    /// Documents to offer `peer` at the start of a session (those it is not known to have).
    fn candidates(&mut self, peer: &str) -> Result<Vec<DocId>, DocFailure>;
    /// What `peer` may do with `doc`.
    fn access(&mut self, peer: &str, doc: &DocId) -> Result<Access, DocFailure>;
    fn load_state(&mut self, peer: &str, doc: &DocId) -> Result<Option<Vec<u8>>, DocFailure>;
    fn save_state(&mut self, peer: &str, doc: &DocId, state: &[u8]) -> Result<(), DocFailure>;
    fn generate(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>, DocFailure>;
    /// Applies `message`; any new changes must be durable when this returns. Refuses
    /// (`Rejected(Forbidden)`) a message that would change a document the peer may only read.
    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<(), DocFailure>;
    /// Current heads, or `None` if the document does not exist (yet) here.
    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure>;
    /// Records that `peer` holds `doc` at `heads`.
    fn mark_synced(&mut self, peer: &str, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure>;
    /// The whole stored document and its heads, read without loading it.
    fn snapshot(&mut self, doc: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), DocFailure>;
    /// Merges a whole document from the peer (creating it if new); durable when this returns.
    /// Refuses, like `receive`, what the peer may not write.
    fn receive_snapshot(&mut self, doc: &DocId, bytes: &[u8]) -> Result<(), DocFailure>;
    /// Whole documents about to be passed to `receive_snapshot`, one by one: a storage may get
    /// ready for them all at once (load them on every core). Replaces what an earlier call
    /// prepared; an empty list releases it. Only an optimisation: each `receive_snapshot` still
    /// checks and stores its document as if this had not been called.
    fn preload_snapshots(&mut self, snapshots: &[(DocId, &[u8])]) {
        let _ = snapshots;
    }
}
