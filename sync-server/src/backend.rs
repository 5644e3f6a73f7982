//! Where the relay keeps its data: the [`Backend`] the handlers talk to, and [`DocStorage`], what
//! one device's sync session needs of a backend's documents inside one transaction. The session
//! logic and the access checks ([`run_session`], `RelayDocs`) are written once, over `DocStorage`;
//! each backend only stores.

use automerge::AutoCommit;
use automerge::sync::{Message, State};
use homevisit_docs::DocId;
use homevisit_protocol::SyncBatch;
use homevisit_store::DocScope;
use homevisit_sync::{DocFailure, Session, SyncDocs, SyncReport};

use crate::access::AccessStore;
use crate::relay_docs::RelayDocs;
use crate::{Device, RelayError};

/// What one sync request did.
pub struct SyncOutcome {
    pub reply: SyncBatch,
    pub report: SyncReport,
    /// Whether the request stored anything new (other devices may have something to receive).
    pub stored_changes: bool,
}

/// One device's sync request, answered inside one storage transaction.
pub struct SyncRequest<'a> {
    pub device: &'a Device,
    /// Whether the device's school shares notes with its coordinators.
    pub coordinators_read_notes: bool,
    pub batch: &'a SyncBatch,
}

/// The relay's storage: documents, sync states and device access.
pub trait Backend: Send + Sync {
    fn access(&self) -> &dyn AccessStore;
    /// Answers one sync request in one transaction, committed before this returns: what the
    /// answer acknowledges is stored.
    fn sync(&self, request: &SyncRequest<'_>) -> Result<SyncOutcome, RelayError>;
    /// Merges whole documents (an administrator's import), unchecked: the administrator may write
    /// anything.
    fn import(&self, docs: &[(DocId, Vec<u8>)]) -> Result<(), RelayError>;
    /// A stored document, loaded (for administration and tests), or `None`.
    fn document(&self, id: &DocId) -> Result<Option<AutoCommit>, RelayError>;
    fn document_count(&self) -> Result<usize, RelayError>;
}

/// What a device's session needs of stored documents, beyond [`SyncDocs`]: the scope access is
/// decided on, and receiving with a check of the document as it would be after the change.
pub(crate) trait DocStorage: SyncDocs {
    /// The school and educators of a stored document (`None` if it is not stored); notes have
    /// their visit log's scope.
    fn document_scope(&mut self, doc: &DocId) -> Result<Option<DocScope>, DocFailure>;
    /// Merges a whole document; stores it only if `allowed` says yes about the result.
    fn merge_checked(
        &mut self,
        doc: &DocId,
        bytes: &[u8],
        allowed: &mut dyn FnMut(&mut AutoCommit) -> bool,
    ) -> Result<(), DocFailure>;
    /// Applies a sync message; stores the result only if `allowed` says yes about it.
    fn receive_checked(
        &mut self,
        doc: &DocId,
        state: &mut State,
        message: Message,
        allowed: &mut dyn FnMut(&mut AutoCommit) -> bool,
    ) -> Result<(), DocFailure>;
}

/// One request's session over `storage` (already inside the backend's transaction).
pub(crate) fn run_session<D: DocStorage>(
    storage: &mut D,
    request: &SyncRequest<'_>,
) -> Result<SyncOutcome, DocFailure> {
    let mut docs = RelayDocs::new(storage, request.device, request.coordinators_read_notes);
    // One session per request: state is persisted between requests, so any relay instance can
    // answer the next one, and a lost response only means the device asks again.
    let mut session = Session::new(request.device.device_id.clone());
    let reply = session.respond(&mut docs, request.batch)?;
    let report = session.finish(&mut docs)?;
    Ok(SyncOutcome { reply, report, stored_changes: docs.stored_changes() })
}
