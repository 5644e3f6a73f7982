//! Where the relay keeps its data: the [`Backend`] the handlers talk to, and [`DocStorage`], what
//! one device's sync session needs of a backend's documents inside one transaction. The session
//! logic and the access checks (`request_run`, `relay_docs`) are written once, over `DocStorage`;
//! each backend only stores.

use automerge::AutoCommit;
use homevisit_docs::{DocId, Scope};
use homevisit_model::{EducatorId, FamilyId, SchoolId, VisitId, VisitLog};
use homevisit_protocol::SyncBatch;
use homevisit_store::{Applied, Incoming, Received};
use homevisit_sync::{CandidateRange, DeviceId, DocFailure, PeerId, SyncDocs, SyncReport};

use crate::access::AccessStore;
use crate::attestation::{Attestation, Effect};
use crate::audit::AuditLog;
use crate::deletion::DeletionReceipt;
use crate::policy::{DevicePolicy, NotesSharing};
use crate::{Device, RelayError};

/// What one sync request did.
pub struct SyncOutcome {
    pub reply: SyncBatch,
    pub report: SyncReport,
    /// What the request stored that is new (other devices may have something to receive).
    pub changed: Vec<Changed>,
}

/// One device's sync request.
pub struct SyncRequest<'a> {
    pub device: &'a Device,
    /// Which schools share notes with their coordinators (as far as this device needs).
    pub notes: &'a NotesSharing,
    pub batch: &'a SyncBatch,
    pub bounds: &'a Bounds,
    /// Called between the request's steps (each its own transaction, after it ends) with the time
    /// the step took: the relay's admission paces a heavy device here ([`crate::admission::Admitted::pace`]).
    pub between_steps: &'a (dyn Fn(std::time::Duration) + Sync),
    /// Whether no other request is being answered or waits for a permit now, on a storage whose
    /// parts take turns ([`Backend::longer_parts_when_alone`]); asked before each part: a part may
    /// then run longer, [`crate::request_run::LONE_STEP_TIME`].
    pub alone: &'a (dyn Fn() -> bool + Sync),
    /// The device asked for the next page ahead of acknowledging the last (`?ahead=1`): the offer
    /// does not go round ([`homevisit_sync::Session::offer_ahead_only`]).
    pub ahead: bool,
}

impl SyncRequest<'_> {
    /// The policy the request's session runs under.
    pub(crate) fn policy(&self) -> DevicePolicy<'_> {
        DevicePolicy { device: self.device, notes: self.notes }
    }
}

/// Documents a device may create on the relay, by default (`HOMEVISIT_RELAY_DEVICE_DOCUMENTS`):
/// a coordinator's phone that imports a whole school makes some thousands.
pub const DEVICE_DOCUMENTS: u64 = 50_000;

/// Bytes of changes a device may store on the relay, by default (`HOMEVISIT_RELAY_DEVICE_BYTES`):
/// years of a busy educator's notes are tens of MB.
pub const DEVICE_BYTES: u64 = 1 << 30;

/// Operations one request may bring, by default (`HOMEVISIT_RELAY_REQUEST_OPS`): loading them is
/// a request's work (about a second of it per million, in release). A message past it is
/// answered [`homevisit_protocol::RejectReason::Busy`] and the device sends it again in its next
/// round. A full batch of a thousand visits' notes (W1) holds under two million; ten notes
/// documents at their limit, four.
pub const REQUEST_OPS: u64 = 4_000_000;

/// What one device may make the relay store and do.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub device_documents: u64,
    pub device_bytes: u64,
    pub request_ops: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Self { device_documents: DEVICE_DOCUMENTS, device_bytes: DEVICE_BYTES, request_ops: REQUEST_OPS }
    }
}

impl Bounds {
    /// The defaults, with the environment's settings where given.
    pub fn from_env() -> Result<Self, RelayError> {
        let setting = crate::env_setting::positive::<u64>;
        Ok(Self {
            device_documents: setting("HOMEVISIT_RELAY_DEVICE_DOCUMENTS", DEVICE_DOCUMENTS)?,
            device_bytes: setting("HOMEVISIT_RELAY_DEVICE_BYTES", DEVICE_BYTES)?,
            request_ops: setting("HOMEVISIT_RELAY_REQUEST_OPS", REQUEST_OPS)?,
        })
    }
}

/// What a device's changes have stored on the relay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub documents: u64,
    pub bytes: u64,
}

/// The relay's storage: documents, sync states and device access.
pub trait Backend: Send + Sync {
    fn access(&self) -> &dyn AccessStore;
    /// The append-only audit trail.
    fn audit(&self) -> &dyn AuditLog;
    /// Answers one sync request (`request_run::RequestRun`: in short transactions), every one committed
    /// before this returns: what the answer acknowledges is stored.
    fn sync(&self, request: &SyncRequest<'_>) -> Result<SyncOutcome, RelayError>;
    /// Merges whole documents (an administrator's import), unchecked: the administrator may write
    /// anything.
    fn import(&self, docs: &[(DocId, Vec<u8>)]) -> Result<(), RelayError>;
    /// A stored document, loaded (for administration and tests), or `None`.
    fn document(&self, id: &DocId) -> Result<Option<AutoCommit>, RelayError>;
    fn document_count(&self) -> Result<usize, RelayError>;
    /// The ids of every stored document of `kind`.
    fn document_ids(&self, kind: homevisit_docs::DocKind) -> Result<Vec<DocId>, RelayError>;
    /// The stored documents whose recorded scope is `school` (for notes, their visit log's),
    /// from the relay's own records: what a report on that school reads. `None`: every school's.
    fn school_documents(&self, school: Option<SchoolId>) -> Result<Vec<DocId>, RelayError>;
    /// The dashboard's accounts, sessions and stipend marks.
    fn dashboard(&self) -> &dyn crate::dashboard_store::DashboardStore;
    /// The stored documents of `family` from the relay's records: its family record, the visit
    /// logs whose recorded family it is, and those visits' notes.
    fn family_documents(&self, family: FamilyId) -> Result<Vec<DocId>, RelayError>;
    /// Deletes `receipt.documents` with every row of their history, records them as tombstones
    /// and keeps the receipt, all in one transaction; then leaves no freed copy of them in the
    /// storage's files where it can (embedded: secure delete, VACUUM, WAL truncated).
    fn delete(&self, receipt: &DeletionReceipt) -> Result<(), RelayError>;
    /// Every deletion receipt, oldest first.
    fn receipts(&self) -> Result<Vec<DeletionReceipt>, RelayError>;
    /// Records that `device` deleted the deleted documents of `school` among `docs` (others are
    /// ignored: a device confirms only what it was told).
    fn confirm_deleted(&self, device: &DeviceId, school: SchoolId, docs: &[DocId]) -> Result<(), RelayError>;
    /// The deleted documents of `school` that `device` has not confirmed deleting, at most `limit`.
    fn pending_deletions(&self, device: &DeviceId, school: SchoolId, limit: usize) -> Result<Vec<DocId>, RelayError>;
    /// A district setting kept by the relay.
    fn setting(&self, key: &str) -> Result<Option<String>, RelayError>;
    fn set_setting(&self, key: &str, value: &str) -> Result<(), RelayError>;
    /// Every recorded value of a visit's attested fields, oldest first (for the coordinator).
    fn attestations(&self, visit: VisitId) -> Result<Vec<Attestation>, RelayError>;
    /// Loads up to `max` of the documents stored as received, without loading (a visit's notes
    /// received whole: `homevisit_store::Store::load_unloaded`), so each is checked in full, and
    /// deletes those that fail. A storage that loads everything it receives has none.
    fn check_unloaded(&self, _max: usize) -> Result<UnloadedChecked, RelayError> {
        Ok(UnloadedChecked::default())
    }
    /// The storage's own upkeep, done in the relay's quiet moments after its writes (the embedded
    /// relay's WAL checkpoint), so no device's request waits for it.
    fn upkeep(&self) -> Result<(), RelayError> {
        Ok(())
    }
    /// Whether a request alone on this relay may run longer parts
    /// ([`crate::request_run::LONE_STEP_TIME`]): where each commit costs and nothing else would
    /// wait behind the part (the embedded storage; PostgreSQL when the database is quiet too,
    /// which its `sync` checks as each part begins: another instance's requests are unseen here).
    fn longer_parts_when_alone(&self) -> bool {
        false
    }
    /// Whether the storage is at work for anyone now (on a storage several instances share, their
    /// requests too): background work ([`crate::unloaded_check`]) waits for it to be quiet, and a
    /// heavy device's request pauses between its steps while it is not ([`crate::admission::Admitted::pace`]).
    /// A storage only this instance uses is never busy beyond its own requests, counted apart.
    fn storage_busy(&self) -> bool {
        false
    }
    /// Where each device's budget is kept when several relay instances share this storage
    /// ([`crate::device_limit::SharedBuckets`]); `None`: each instance keeps its own (the embedded
    /// storage has one instance).
    fn shared_buckets(&self) -> Option<std::sync::Arc<dyn crate::device_limit::SharedBuckets>> {
        None
    }
}

/// What one [`Backend::check_unloaded`] call found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UnloadedChecked {
    /// Documents that failed their full check, now deleted.
    pub deleted: usize,
    /// Documents still stored unloaded.
    pub left: usize,
}

/// The relay's own records about stored documents, which access is decided on: never what a
/// document says about itself.
pub(crate) trait Records {
    /// The scope recorded for a stored document under its id when it passed
    /// [`homevisit_docs::check`] (`None` if it is not stored; empty if it never passed).
    fn scope(&mut self, doc: &DocId) -> Result<Option<Scope>, DocFailure>;
    /// The educators whose devices stored changes to a visit's log or notes.
    fn contributors(&mut self, visit: VisitId) -> Result<Vec<EducatorId>, DocFailure>;
    /// Whether `doc` was deleted (a tombstone: a write to it is refused, so a device that still
    /// holds it cannot bring it back).
    fn deleted(&mut self, doc: &DocId) -> Result<bool, DocFailure>;
    /// The latest recorded value of each attested field of a visit (in [`crate::attestation::Attested::ALL`]'s
    /// order), or `None` if the relay has recorded none for it (`attest`).
    fn attested(&mut self, visit: VisitId) -> Result<Option<[Option<EducatorId>; 3]>, DocFailure>;
    /// A visit's log as stored (before the change being judged), checked; `None` if not stored.
    fn stored_visit_log(&mut self, visit: VisitId) -> Result<Option<VisitLog>, DocFailure>;
    /// The family's declined visits no coordinator has lifted (`consent`).
    fn open_declines(&mut self, family: FamilyId) -> Result<Vec<VisitId>, DocFailure>;
    /// The family recorded for a visit's stored log when it passed [`homevisit_docs::check`]
    /// (before the change being judged); `None` if the log is not stored or never passed.
    fn visit_family(&mut self, visit: VisitId) -> Result<Option<FamilyId>, DocFailure>;
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
    /// Records what an accepted change attests or declines (`device`: the writing device's id, or
    /// the source's name), at the relay's time, in this transaction.
    fn record_effect(&mut self, effect: &Effect, device: &str) -> Result<(), DocFailure>;
    /// Forgets a document a device began to send that has no content (see [`Applied::Pending`]).
    fn discard_pending(&mut self, doc: &DocId);
    /// The relay's records of `docs` and of the documents governing them (their rows and
    /// tombstones) are about to be asked for, one by one: a storage for which each read is a
    /// round trip may read them all now, in this transaction. What is read under a document's
    /// lock is still read then.
    fn read_ahead(&mut self, _docs: &[DocId]) -> Result<(), DocFailure> {
        Ok(())
    }
    /// The documents not yet in sync with `peer` whose recorded scope is `school` (for notes,
    /// their visit log's), and the prompt packs: a device's candidates, without walking every
    /// school's documents.
    /// `None`: every school's (a district administrator's device). Only the part `range`, in the
    /// order of their ids as the database compares them.
    fn candidates_of_school(
        &mut self,
        peer: &PeerId,
        school: Option<SchoolId>,
        range: CandidateRange<'_>,
    ) -> Result<Vec<DocId>, DocFailure>;
    /// Where `peer`'s next paged offer starts (see [`homevisit_sync::Session::offer_resume`]).
    fn offer_cursor(&mut self, peer: &PeerId) -> Result<Option<DocId>, DocFailure>;
    /// Records where `peer`'s next paged offer starts, in this transaction.
    fn save_offer_cursor(&mut self, peer: &PeerId, cursor: Option<DocId>) -> Result<(), DocFailure>;
    /// What `device`'s changes have stored so far.
    fn usage(&mut self, device: &DeviceId) -> Result<Usage, DocFailure>;
    /// Adds to what `device`'s changes have stored, in this transaction.
    fn add_usage(&mut self, device: &DeviceId, added: Usage) -> Result<(), DocFailure>;
}

/// What stored changes a request made, for live requests waiting on them: a device looks again
/// only if it may read one of them.
#[derive(Clone, Debug)]
pub struct Changed {
    pub kind: homevisit_docs::DocKind,
    /// The relay's scope of the changed document (for notes, their visit log's).
    pub scope: Scope,
}

/// The relay's records as a judge's unit tests need them: what was attested of a visit, its stored
/// log and recorded family, a family's open declines; nothing stored otherwise.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct HeldRecords {
    pub attested: Option<[Option<EducatorId>; 3]>,
    pub stored: Option<VisitLog>,
    pub family: Option<FamilyId>,
    /// Open declines: the family, and its declined visit.
    pub declines: Vec<(FamilyId, VisitId)>,
}

#[cfg(test)]
impl Records for HeldRecords {
    fn scope(&mut self, _: &DocId) -> Result<Option<Scope>, DocFailure> {
        Ok(None)
    }
    fn contributors(&mut self, _: VisitId) -> Result<Vec<EducatorId>, DocFailure> {
        Ok(vec![])
    }
    fn attested(&mut self, _: VisitId) -> Result<Option<[Option<EducatorId>; 3]>, DocFailure> {
        Ok(self.attested)
    }
    fn stored_visit_log(&mut self, _: VisitId) -> Result<Option<VisitLog>, DocFailure> {
        Ok(self.stored.clone())
    }
    fn open_declines(&mut self, family: FamilyId) -> Result<Vec<VisitId>, DocFailure> {
        Ok(self.declines.iter().filter(|(f, _)| *f == family).map(|(_, v)| *v).collect())
    }
    fn visit_family(&mut self, _: VisitId) -> Result<Option<FamilyId>, DocFailure> {
        Ok(self.family)
    }
    fn deleted(&mut self, _: &DocId) -> Result<bool, DocFailure> {
        Ok(false)
    }
}
