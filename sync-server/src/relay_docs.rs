//! The relay's documents as sync storage for one device: the shared store, seen through the
//! device's permissions. A document the device may not read is never offered or answered; a change
//! it may not make is refused and nothing of it is stored.

use automerge::sync::{Message, State};
use automerge::{AutoCommit, ChangeHash};
use homevisit_docs::{DocId, DocKind, read_record};
use homevisit_model::{Educator, Family, VisitLog};
use homevisit_store::DocScope;
use homevisit_sync::{Access as Permission, DocFailure, SyncDocs};

use crate::Device;
use crate::backend::DocStorage;
use crate::policy::permission;

pub(crate) struct RelayDocs<'a, D: DocStorage> {
    store: &'a mut D,
    device: &'a Device,
    /// Whether the device's school shares notes with its coordinators.
    coordinators_read_notes: bool,
    /// Whether a change from the device was stored.
    stored_changes: bool,
}

/// The scope a document's *content* gives it (for a change: the content after the change).
/// `notes_scope` is the scope of the visit notes' log, if the relay has it.
pub(crate) fn content_scope(doc: &DocId, content: &AutoCommit, notes_scope: Option<&DocScope>) -> Option<DocScope> {
    match doc.kind {
        DocKind::School => Some(DocScope { school: Some(homevisit_model::SchoolId(doc.id)), educators: vec![] }),
        DocKind::Educator => {
            read_record::<Educator>(content).ok().map(|e| DocScope { school: Some(e.school_id), educators: vec![] })
        }
        DocKind::Family => {
            read_record::<Family>(content).ok().map(|f| DocScope { school: Some(f.school_id), educators: vec![] })
        }
        DocKind::VisitLog => read_record::<VisitLog>(content)
            .ok()
            .map(|l| DocScope { school: Some(l.plan.school_id), educators: l.plan.educator_ids }),
        DocKind::VisitNotes => notes_scope.cloned(),
        DocKind::PromptPack => Some(DocScope::default()),
    }
}

/// What the document must look like after a change from this device, decided before the change
/// is applied (for a sync message and a whole document alike).
enum WriteRule<'a> {
    /// Read-only: the change may repeat what the relay has, but add nothing (heads unchanged).
    NothingNew(Vec<ChangeHash>),
    /// Writable (or new): the result must still be writable by this device, so nobody can move a
    /// visit into another school or off their own visits.
    StillWritable { device: &'a Device, coordinators_read_notes: bool, notes_scope: Option<DocScope> },
}

impl WriteRule<'_> {
    fn allows(&self, doc: &DocId, content: &mut AutoCommit) -> bool {
        match self {
            WriteRule::NothingNew(before) => {
                let mut after = content.get_heads();
                after.sort();
                after == *before
            }
            WriteRule::StillWritable { device, coordinators_read_notes, notes_scope } => {
                content_scope(doc, content, notes_scope.as_ref()).is_some_and(|scope| {
                    permission(device, doc.kind, &scope, *coordinators_read_notes) == Permission::ReadWrite
                })
            }
        }
    }
}

impl<'a, D: DocStorage> RelayDocs<'a, D> {
    pub(crate) fn new(store: &'a mut D, device: &'a Device, coordinators_read_notes: bool) -> Self {
        Self { store, device, coordinators_read_notes, stored_changes: false }
    }

    pub(crate) fn stored_changes(&self) -> bool {
        self.stored_changes
    }

    /// Runs a receive and notes whether it changed the stored heads.
    fn track_changes(
        &mut self,
        doc: &DocId,
        apply: impl FnOnce(&mut D) -> Result<(), DocFailure>,
    ) -> Result<(), DocFailure> {
        let before = self.store.heads(doc)?;
        apply(self.store)?;
        if !self.stored_changes && self.store.heads(doc)? != before {
            self.stored_changes = true;
        }
        Ok(())
    }

    /// The rule a change to `doc` from this device must satisfy; refused outright if the device
    /// may not even read it.
    fn write_rule(&mut self, doc: &DocId) -> Result<WriteRule<'a>, DocFailure> {
        let stored = self.stored_scope(doc)?;
        let now = match &stored {
            Some(scope) => self.permission(doc.kind, scope),
            None => Permission::ReadWrite, // new: judged on its content
        };
        Ok(match now {
            Permission::None => return Err(DocFailure::Rejected(homevisit_protocol::RejectReason::Forbidden)),
            Permission::Read => {
                let mut heads = self.store.heads(doc)?.unwrap_or_default();
                heads.sort();
                WriteRule::NothingNew(heads)
            }
            Permission::ReadWrite => WriteRule::StillWritable {
                device: self.device,
                coordinators_read_notes: self.coordinators_read_notes,
                notes_scope: if doc.kind == DocKind::VisitNotes { stored } else { None },
            },
        })
    }

    /// The scope access is decided on: a visit's notes take their visit's.
    fn stored_scope(&mut self, doc: &DocId) -> Result<Option<DocScope>, DocFailure> {
        let target = if doc.kind == DocKind::VisitNotes { DocId::new(DocKind::VisitLog, doc.id) } else { *doc };
        self.store.document_scope(&target)
    }

    fn permission(&self, kind: DocKind, scope: &DocScope) -> Permission {
        permission(self.device, kind, scope, self.coordinators_read_notes)
    }
}

impl<D: DocStorage> SyncDocs for RelayDocs<'_, D> {
    fn candidates(&mut self, peer: &str) -> Result<Vec<DocId>, DocFailure> {
        self.store.candidates(peer)
    }

    fn access(&mut self, _peer: &str, doc: &DocId) -> Result<Permission, DocFailure> {
        Ok(match self.stored_scope(doc)? {
            Some(scope) => self.permission(doc.kind, &scope),
            // A document new to the relay: judged on its content when its changes arrive (notes by
            // their visit's log, which sorts before them in every batch; notes of a visit the
            // relay does not have are refused then).
            None => Permission::ReadWrite,
        })
    }

    fn load_state(&mut self, peer: &str, doc: &DocId) -> Result<Option<Vec<u8>>, DocFailure> {
        self.store.load_state(peer, doc)
    }

    fn save_state(&mut self, peer: &str, doc: &DocId, state: &[u8]) -> Result<(), DocFailure> {
        self.store.save_state(peer, doc, state)
    }

    fn generate(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>, DocFailure> {
        self.store.generate(doc, state)
    }

    fn snapshot(&mut self, doc: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), DocFailure> {
        self.store.snapshot(doc)
    }

    fn receive_snapshot(&mut self, doc: &DocId, bytes: &[u8]) -> Result<(), DocFailure> {
        let rule = self.write_rule(doc)?;
        self.track_changes(doc, |store| store.merge_checked(doc, bytes, &mut |content| rule.allows(doc, content)))
    }

    fn preload_snapshots(&mut self, snapshots: &[(DocId, &[u8])]) {
        self.store.preload_snapshots(snapshots);
    }

    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<(), DocFailure> {
        let rule = self.write_rule(doc)?;
        self.track_changes(doc, |store| {
            store.receive_checked(doc, state, message, &mut |content| rule.allows(doc, content))
        })
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure> {
        self.store.heads(doc)
    }

    fn mark_synced(&mut self, peer: &str, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        self.store.mark_synced(peer, doc, heads)
    }
}
