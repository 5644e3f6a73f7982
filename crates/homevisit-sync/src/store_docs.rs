//! The device store as sync storage (its policy is the session's: a device's own is
//! [`crate::FullAccess`]).

use automerge::ChangeHash;
use automerge::sync::{Message, State};
use homevisit_docs::DocId;
use homevisit_protocol::RejectReason;
use homevisit_store::{Applied, Index, Store, StoreError};

use crate::{CandidateRange, DocFailure, Merged, PeerId, SyncDocs};

/// Maps a store error to a sync failure: per-document problems refuse that document only.
pub fn failure(e: StoreError) -> DocFailure {
    match e {
        StoreError::Document { .. } | StoreError::Invalid(_) | StoreError::NotFound(_) => {
            DocFailure::Rejected(RejectReason::Malformed)
        }
        StoreError::Forbidden(_) => DocFailure::Rejected(RejectReason::Forbidden),
        other => DocFailure::Storage(Box::new(other)),
    }
}

/// The document store, for any index: the phone's, and the embedded relay's.
impl<I: Index> SyncDocs for Store<I> {
    fn candidates(&mut self, peer: &PeerId) -> Result<Vec<DocId>, DocFailure> {
        self.unsynced_documents(peer).map_err(failure)
    }

    fn candidates_in(&mut self, peer: &PeerId, range: CandidateRange<'_>) -> Result<Vec<DocId>, DocFailure> {
        // A phone's own candidates are few (what it changed since it last synced): listed whole.
        Ok(range.select(self.unsynced_documents(peer).map_err(failure)?))
    }

    fn load_state(&mut self, peer: &PeerId, doc: &DocId) -> Result<Option<Vec<u8>>, DocFailure> {
        self.resumable_sync_state(peer, doc).map_err(failure)
    }

    fn save_state(&mut self, peer: &PeerId, doc: &DocId, state: &[u8]) -> Result<(), DocFailure> {
        // Nothing is remembered of a document that has not arrived yet.
        self.save_sync_state_if_stored(peer, doc, state).map_err(failure)
    }

    fn generate(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>, DocFailure> {
        self.generate_sync_message(doc, state).map_err(failure)
    }

    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<Merged, DocFailure> {
        self.receive_sync_message(doc, state, message).map(merged).map_err(failure)
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure> {
        self.stored_heads(doc).map_err(failure)
    }

    fn mark_synced(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        self.mark_synced(peer, doc, heads).map_err(failure)
    }

    fn mark_synced_whole(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        self.mark_synced_whole(peer, doc, heads).map_err(failure)
    }

    fn snapshot(&mut self, doc: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), DocFailure> {
        self.stored_document(doc).map_err(failure)
    }

    fn receive_snapshot(&mut self, doc: &DocId, bytes: &[u8]) -> Result<Merged, DocFailure> {
        let changed = self.merge_document_bytes(doc, bytes).map_err(failure)?;
        Ok(if changed { Merged::Changed } else { Merged::Unchanged })
    }

    fn preload_snapshots(&mut self, snapshots: &[(DocId, &[u8])]) {
        self.preload_documents(snapshots);
    }
}

/// What the store's answer means to a session (a document still pending has not changed).
pub fn merged(applied: Applied) -> Merged {
    match applied {
        Applied::Changed => Merged::Changed,
        Applied::Unchanged | Applied::Pending => Merged::Unchanged,
    }
}

impl From<StoreError> for DocFailure {
    fn from(e: StoreError) -> Self {
        failure(e)
    }
}
