//! Where the relay keeps its data: the [`Backend`] the handlers talk to, and [`DocStorage`], what
//! one device's sync session needs of a backend's documents inside one transaction. The session
//! logic and the access checks ([`run_session`], `RelayDocs`) are written once, over `DocStorage`;
//! each backend only stores.

use automerge::AutoCommit;
use homevisit_docs::{DocId, Scope};
use homevisit_model::{EducatorId, VisitId};
use homevisit_protocol::SyncBatch;
use homevisit_store::{Applied, Incoming, Received};
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

/// The relay's own records about stored documents, which access is decided on: never what a
/// document says about itself.
pub(crate) trait Records {
    /// The scope recorded for a stored document under its id when it passed
    /// [`homevisit_docs::check`] (`None` if it is not stored; empty if it never passed).
    fn scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure>;
    /// The educators whose devices stored changes to a visit's log or notes.
    fn contributors(&mut self, visit: VisitId) -> Result<Vec<EducatorId>, DocFailure>;
}

/// Decides whether a received change may be stored: sees it as it would be stored, and the
/// storage's records.
pub(crate) type Judge<'j> = dyn FnMut(&Received<'_>, &mut dyn Records) -> bool + 'j;

/// What a device's session needs of stored documents, beyond [`SyncDocs`]: the relay's records,
/// and receiving with a judgement of the document as it would be after the change.
pub(crate) trait DocStorage: SyncDocs + Records {
    /// Applies bytes from the device to `doc` (creating it if new). The result is stored only if
    /// it passes [`homevisit_docs::check`] and `judge` accepts it; Automerge's panics on crafted
    /// bytes are contained and refuse this document only.
    fn apply_checked(
        &mut self,
        doc: &DocId,
        incoming: Incoming<'_>,
        judge: &mut Judge<'_>,
    ) -> Result<Applied, DocFailure>;
    /// Records that `educator`'s device stored changes to `visit`, in this transaction.
    fn record_contributor(&mut self, visit: VisitId, educator: EducatorId) -> Result<(), DocFailure>;
    /// Forgets a document a device began to send that has no content (see [`Applied::Pending`]).
    fn discard_pending(&mut self, doc: &DocId);
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
