//! The relay's documents as sync storage for one device: the shared store, seen through the
//! device's permissions. A document the device may not read is never offered or answered; a change
//! it may not make is refused and nothing of it is stored.

use automerge::sync::{Message, State};
use automerge::{AutoCommit, ChangeHash};
use homevisit_docs::{DocId, DocKind, read_record};
use homevisit_model::{Educator, Family, VisitLog};
use homevisit_store::{DocScope, Store};
use homevisit_sync::{Access as Permission, DocFailure, SyncDocs, store_failure};

use crate::Device;
use crate::policy::permission;

pub(crate) struct RelayDocs<'a> {
    pub store: &'a mut Store,
    pub device: &'a Device,
    /// Whether the device's school shares notes with its coordinators.
    pub coordinators_read_notes: bool,
}

/// The scope a document's *content* gives it (for a change: the content after the change).
fn content_scope(doc: &DocId, content: &AutoCommit, notes_scope: Option<&DocScope>) -> Option<DocScope> {
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

impl RelayDocs<'_> {
    /// The scope access is decided on: a visit's notes take their visit's.
    fn stored_scope(&self, doc: &DocId) -> Result<Option<DocScope>, DocFailure> {
        let target = if doc.kind == DocKind::VisitNotes { DocId::new(DocKind::VisitLog, doc.id) } else { *doc };
        self.store.document_scope(&target).map_err(store_failure)
    }

    fn permission(&self, kind: DocKind, scope: &DocScope) -> Permission {
        permission(self.device, kind, scope, self.coordinators_read_notes)
    }
}

impl SyncDocs for RelayDocs<'_> {
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
        let stored = self.stored_scope(doc)?;
        let now = match &stored {
            Some(scope) => self.permission(doc.kind, scope),
            None => Permission::ReadWrite,
        };
        let doc_id = *doc;
        let (device, shared) = (self.device, self.coordinators_read_notes);
        let result = match now {
            Permission::None => return Err(DocFailure::Rejected(homevisit_protocol::RejectReason::Forbidden)),
            Permission::Read => {
                let before = self.store.document_heads(doc).map_err(store_failure)?;
                self.store.merge_document_bytes_checked(doc, bytes, |content| {
                    let mut after = content.get_heads();
                    after.sort();
                    after == before
                })
            }
            Permission::ReadWrite => {
                let notes_scope = if doc.kind == DocKind::VisitNotes { stored } else { None };
                self.store.merge_document_bytes_checked(doc, bytes, |content| {
                    content_scope(&doc_id, content, notes_scope.as_ref())
                        .is_some_and(|scope| permission(device, doc_id.kind, &scope, shared) == Permission::ReadWrite)
                })
            }
        };
        result.map(|_| ()).map_err(store_failure)
    }

    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<(), DocFailure> {
        let stored = self.stored_scope(doc)?;
        let now = match &stored {
            Some(scope) => self.permission(doc.kind, scope),
            None => Permission::ReadWrite, // new: judged on its content below
        };
        let doc_id = *doc;
        match now {
            Permission::None => Err(DocFailure::Rejected(homevisit_protocol::RejectReason::Forbidden)),
            // Read-only: the message may carry what the relay already has, but nothing new.
            Permission::Read => {
                let before = self.store.document_heads(doc).map_err(store_failure)?;
                self.store
                    .receive_sync_message_checked(doc, state, message, |content| {
                        let mut after = content.get_heads();
                        after.sort();
                        after == before
                    })
                    .map_err(store_failure)
            }
            // Writable: the document as it would be after the change must still be writable by
            // this device (no moving a visit into another school, or off one's own visits).
            Permission::ReadWrite => {
                let notes_scope = if doc.kind == DocKind::VisitNotes { stored } else { None };
                let (device, shared) = (self.device, self.coordinators_read_notes);
                self.store
                    .receive_sync_message_checked(doc, state, message, |content| {
                        content_scope(&doc_id, content, notes_scope.as_ref()).is_some_and(|scope| {
                            permission(device, doc_id.kind, &scope, shared) == Permission::ReadWrite
                        })
                    })
                    .map_err(store_failure)
            }
        }
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure> {
        self.store.heads(doc)
    }

    fn mark_synced(&mut self, peer: &str, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        SyncDocs::mark_synced(self.store, peer, doc, heads)
    }
}
