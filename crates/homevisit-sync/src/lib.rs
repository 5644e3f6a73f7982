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
#[cfg(feature = "conformance")]
pub mod conformance;
mod device_id;
#[cfg(feature = "http")]
pub mod device_session;
#[cfg(feature = "http")]
pub mod identity;
pub mod memory;
pub mod peer;
mod session;
mod store_docs;

pub use store_docs::{failure as store_failure, merged as store_merged};

pub use device_id::{DeviceId, InvalidDeviceId};
pub use homevisit_protocol::{RejectReason, SyncBatch};
pub use homevisit_store::{InvalidPeerId, PeerId};
pub use memory::MemoryDocs;
pub use peer::{PeerError, PeerSync};
pub use session::{Session, SyncReport};

use automerge::ChangeHash;
use automerge::sync::{Message, State};
use homevisit_docs::DocId;

/// A part of a storage's candidates ([`SyncDocs::candidates`]) in the storage's own order of
/// document ids: those after `after` and up to and including `upto` (an end is open where `None`),
/// at most `limit`, first first. A paged offer walks the candidates a part at a time, so a page
/// costs what it offers, not what the peer has still to receive.
#[derive(Clone, Copy, Debug)]
pub struct CandidateRange<'a> {
    pub after: Option<&'a DocId>,
    pub upto: Option<&'a DocId>,
    pub limit: usize,
}

impl CandidateRange<'_> {
    /// Every candidate.
    pub fn all() -> Self {
        CandidateRange { after: None, upto: None, limit: usize::MAX }
    }

    /// This part of `candidates`, for a storage that lists its candidates whole: ordered as a
    /// database orders their ids as text (bytewise), as the SQL storages do.
    pub fn select(&self, candidates: Vec<DocId>) -> Vec<DocId> {
        let (after, upto) = (self.after.map(DocId::to_string), self.upto.map(DocId::to_string));
        let mut keyed: Vec<(String, DocId)> = candidates.into_iter().map(|d| (d.to_string(), d)).collect();
        keyed.sort();
        keyed
            .into_iter()
            .filter(|(key, _)| after.as_ref().is_none_or(|a| key > a) && upto.as_ref().is_none_or(|u| key <= u))
            .take(self.limit)
            .map(|(_, doc)| doc)
            .collect()
    }
}

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

/// What receiving a message or a whole document did to the stored document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merged {
    /// Its content changed (its heads moved): the session lists it in [`SyncReport::changed`].
    Changed,
    /// Nothing new: the document holds the same changes as before.
    Unchanged,
}

/// Storage the engine syncs: documents and each peer's sync state (kept under its [`PeerId`]). It
/// decides nothing about who may read or write what: that is the session's [`AccessPolicy`] (and,
/// for writes that depend on the document's content, the storage's own checks on receive).
///
/// Every method is required: a wrapper cannot silently drop one (an optimisation such as
/// [`SyncDocs::preload_snapshots`] included). `conformance` (feature `conformance`) is the suite
/// every implementation passes.
pub trait SyncDocs {
    /// Documents to offer `peer` at the start of a session (those it is not known to have).
    fn candidates(&mut self, peer: &PeerId) -> Result<Vec<DocId>, DocFailure>;
    /// The part `range` of the candidates (see [`CandidateRange`]).
    fn candidates_in(&mut self, peer: &PeerId, range: CandidateRange<'_>) -> Result<Vec<DocId>, DocFailure>;
    fn load_state(&mut self, peer: &PeerId, doc: &DocId) -> Result<Option<Vec<u8>>, DocFailure>;
    fn save_state(&mut self, peer: &PeerId, doc: &DocId, state: &[u8]) -> Result<(), DocFailure>;
    fn generate(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>, DocFailure>;
    /// Applies `message`; any new changes are durable when this returns, and the answer says
    /// whether the document changed. A storage that enforces writes refuses
    /// (`Rejected(Forbidden)`) a message that would change what the peer may only read.
    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<Merged, DocFailure>;
    /// Current heads, or `None` if the document does not exist (yet) here.
    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure>;
    /// Records that `peer` holds `doc` at `heads`.
    fn mark_synced(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure>;
    /// Records that `peer` holds `doc` at `heads`, the heads held here, after the document went
    /// whole one way or the other: its sync state would say no more than that both hold `heads`.
    /// From then on `load_state` answers a state whose shared heads are `heads` (until the next
    /// `save_state`), whether the storage keeps that state or only the mark.
    fn mark_synced_whole(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure>;
    /// The whole stored document and its heads, read without loading it.
    fn snapshot(&mut self, doc: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), DocFailure>;
    /// Merges a whole document from the peer (creating it if new); durable when this returns.
    /// Refuses, like `receive`, what the peer may not write.
    fn receive_snapshot(&mut self, doc: &DocId, bytes: &[u8]) -> Result<Merged, DocFailure>;
    /// Whole documents about to be passed to `receive_snapshot`, one by one and in this order: a
    /// storage may get ready for them (load them on its spare cores, beside the writes, as the
    /// device store does, or read what their writes need in one go). Replaces what an earlier call
    /// prepared; an empty list releases it. Only an optimisation: each `receive_snapshot` still
    /// checks and stores its document as if this had not been called (a storage with nothing to
    /// prepare says so in an empty body).
    fn preload_snapshots(&mut self, snapshots: &[(DocId, &[u8])]);
    /// `docs`' heads are about to be asked for, one by one ([`Session::persist_some`]): a storage
    /// for which each read is a round trip may read them all now. Only an optimisation.
    fn read_heads_ahead(&mut self, _docs: &[DocId]) -> Result<(), DocFailure> {
        Ok(())
    }
    /// `docs` are about to be passed to `snapshot`, one by one, in this order, for a batch of at
    /// most [`MAX_BATCH_DATA_BYTES`](homevisit_protocol::MAX_BATCH_DATA_BYTES) of data: a storage
    /// for which each read is a round trip may read them now, in order, up to that budget (and
    /// the one that passes it). Only an optimisation.
    fn read_snapshots_ahead(&mut self, _docs: &[DocId]) -> Result<(), DocFailure> {
        Ok(())
    }
}

/// Who may do what, for a session: asked before a document is offered to the peer or anything
/// the peer sent about it is applied. It may read the storage (`docs`), in the same transaction.
pub trait AccessPolicy<S: ?Sized> {
    /// What `peer` may do with `doc`.
    fn access(&self, docs: &mut S, peer: &PeerId, doc: &DocId) -> Result<Access, DocFailure>;
}

/// A device's own policy: it may read and write every document it holds (what it may hold is
/// decided by the relay, and a direct exchange between phones limits itself to one visit:
/// [`Session::limited_to`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct FullAccess;

impl<S: ?Sized> AccessPolicy<S> for FullAccess {
    fn access(&self, _docs: &mut S, _peer: &PeerId, _doc: &DocId) -> Result<Access, DocFailure> {
        Ok(Access::ReadWrite)
    }
}
