//! [`MemoryDocs`]: sync storage in memory, with the phone store's semantics and no I/O. For tests,
//! the fuzz crate and peer experiments; the conformance suite (feature `conformance`) holds it to
//! the same cases as every other storage.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::sync::{Message, State};
use automerge::{ActorId, AutoCommit, ChangeHash};
use homevisit_docs::{DocError, DocId, untrusted};
use homevisit_protocol::RejectReason;

use crate::{CandidateRange, DocFailure, Merged, PeerId, SyncDocs};

/// Documents, sync states and marks in memory. Received bytes are loaded strictly
/// ([`homevisit_docs::untrusted`]) and kept only if the result passes [`homevisit_docs::check`]
/// (else `Rejected(Malformed)`, and nothing of it is kept); Automerge's panics are contained. As in
/// the phone store, a sync message about a document not held here that brings no changes yet is
/// held aside (not a document: no heads) until its changes come.
#[derive(Default)]
pub struct MemoryDocs {
    docs: BTreeMap<DocId, Stored>,
    /// Documents a peer began to send whose changes have not arrived (the store's `Pending`).
    pending: BTreeMap<DocId, AutoCommit>,
    states: BTreeMap<(PeerId, DocId), Vec<u8>>,
    marks: BTreeMap<(PeerId, DocId), Vec<ChangeHash>>,
    /// Whole documents loaded ahead ([`SyncDocs::preload_snapshots`]), with the bytes they came from.
    preloaded: BTreeMap<DocId, (Vec<u8>, AutoCommit)>,
    actor: Option<ActorId>,
}

/// A document as kept: loaded, its save (checked to load again) and its sorted heads.
struct Stored {
    doc: AutoCommit,
    saved: Vec<u8>,
    heads: Vec<ChangeHash>,
}

fn malformed<E>(_: E) -> DocFailure {
    DocFailure::Rejected(RejectReason::Malformed)
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

/// Runs one document's step, a panic (Automerge on crafted bytes, or a bug) refusing it.
fn contained<R>(f: impl FnOnce() -> Result<R, DocFailure>) -> Result<R, DocFailure> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(DocFailure::Rejected(RejectReason::Malformed)))
}

impl MemoryDocs {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose own edits ([`MemoryDocs::edit`]) are written by `actor`.
    pub fn with_actor(actor: ActorId) -> Self {
        Self { actor: Some(actor), ..Self::default() }
    }

    /// The stored document, if any.
    pub fn document(&self, id: &DocId) -> Option<&AutoCommit> {
        self.docs.get(id).map(|s| &s.doc)
    }

    /// Every stored document's id, in order.
    pub fn ids(&self) -> Vec<DocId> {
        self.docs.keys().copied().collect()
    }

    /// Edits a stored document (a device's own edit): kept only if the result passes
    /// [`homevisit_docs::check`]; otherwise nothing changes.
    pub fn edit(
        &mut self,
        id: &DocId,
        f: impl FnOnce(&mut AutoCommit) -> Result<(), DocError>,
    ) -> Result<Merged, DocFailure> {
        let mut doc = self.docs.get(id).ok_or(DocFailure::Rejected(RejectReason::Malformed))?.doc.clone();
        let actor = self.actor.get_or_insert_with(ActorId::random).clone();
        contained(|| {
            doc.set_actor(actor);
            f(&mut doc).map_err(malformed)?;
            doc.commit();
            self.keep(id, doc, false)
        })
    }

    /// Keeps `doc` as document `id` if it changed anything (checked first); `is_new` if it is not
    /// held here yet (then it is brought to the current schema).
    fn keep(&mut self, id: &DocId, mut doc: AutoCommit, is_new: bool) -> Result<Merged, DocFailure> {
        let heads = sorted(doc.get_heads());
        if self.docs.get(id).is_some_and(|stored| stored.heads == heads) {
            return Ok(Merged::Unchanged);
        }
        if is_new {
            homevisit_docs::upgrade(&mut doc, id.kind).map_err(malformed)?;
        }
        homevisit_docs::check(id, &doc).map_err(malformed)?;
        let saved = untrusted::save_verified(&mut doc).map_err(malformed)?;
        let heads = sorted(doc.get_heads());
        self.pending.remove(id);
        self.docs.insert(*id, Stored { doc, saved, heads });
        Ok(Merged::Changed)
    }
}

impl SyncDocs for MemoryDocs {
    fn candidates(&mut self, peer: &PeerId) -> Result<Vec<DocId>, DocFailure> {
        let key = |id: &DocId| (peer.clone(), *id);
        Ok(self
            .docs
            .iter()
            .filter(|(id, stored)| self.marks.get(&key(id)) != Some(&stored.heads))
            .map(|(id, _)| *id)
            .collect())
    }

    fn candidates_in(&mut self, peer: &PeerId, range: CandidateRange<'_>) -> Result<Vec<DocId>, DocFailure> {
        Ok(range.select(self.candidates(peer)?))
    }

    fn load_state(&mut self, peer: &PeerId, doc: &DocId) -> Result<Option<Vec<u8>>, DocFailure> {
        Ok(self.states.get(&(peer.clone(), *doc)).cloned())
    }

    fn save_state(&mut self, peer: &PeerId, doc: &DocId, state: &[u8]) -> Result<(), DocFailure> {
        // Nothing arrived for a document not held here: nothing to remember.
        if self.docs.contains_key(doc) {
            self.states.insert((peer.clone(), *doc), state.to_vec());
        }
        Ok(())
    }

    fn generate(&mut self, doc: &DocId, state: &mut State) -> Result<Option<Message>, DocFailure> {
        let generated = contained(|| {
            let loaded = match self.pending.get_mut(doc) {
                Some(pending) => pending,
                None => &mut self.docs.get_mut(doc).ok_or(DocFailure::Rejected(RejectReason::Malformed))?.doc,
            };
            untrusted::generate_sync_message(loaded, state).map_err(malformed)
        });
        if generated.is_err() {
            // It may be half-changed: forget what a peer began to send, reload what is stored.
            self.pending.remove(doc);
            if let Some(stored) = self.docs.get_mut(doc) {
                match homevisit_docs::load(&stored.saved) {
                    Ok(reloaded) => stored.doc = reloaded,
                    Err(_) => {
                        self.docs.remove(doc);
                    }
                }
            }
        }
        generated
    }

    fn receive(&mut self, doc: &DocId, state: &mut State, message: Message) -> Result<Merged, DocFailure> {
        let result = contained(|| {
            let (mut loaded, is_new) = match self.docs.get(doc) {
                Some(stored) => (stored.doc.clone(), false),
                None => (
                    self.pending.remove(doc).unwrap_or_else(|| AutoCommit::new_with_encoding(homevisit_docs::ENCODING)),
                    true,
                ),
            };
            untrusted::receive_sync_message(&mut loaded, doc.kind, state, message).map_err(malformed)?;
            if is_new && loaded.get_heads().is_empty() {
                // Nothing of it yet: held aside, not a document.
                self.pending.insert(*doc, loaded);
                return Ok(Merged::Unchanged);
            }
            self.keep(doc, loaded, is_new)
        });
        if result.is_err() {
            self.pending.remove(doc);
        }
        result
    }

    fn heads(&mut self, doc: &DocId) -> Result<Option<Vec<ChangeHash>>, DocFailure> {
        Ok(self.docs.get(doc).map(|s| s.heads.clone()))
    }

    fn mark_synced(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        self.marks.insert((peer.clone(), *doc), sorted(heads.to_vec()));
        Ok(())
    }

    fn mark_synced_whole(&mut self, peer: &PeerId, doc: &DocId, heads: &[ChangeHash]) -> Result<(), DocFailure> {
        self.save_state(peer, doc, &homevisit_store::shared_sync_state(heads))?;
        self.mark_synced(peer, doc, heads)
    }

    fn snapshot(&mut self, doc: &DocId) -> Result<(Vec<u8>, Vec<ChangeHash>), DocFailure> {
        let stored = self.docs.get(doc).ok_or(DocFailure::Rejected(RejectReason::Malformed))?;
        Ok((stored.saved.clone(), stored.heads.clone()))
    }

    fn receive_snapshot(&mut self, doc: &DocId, bytes: &[u8]) -> Result<Merged, DocFailure> {
        let preloaded = self.preloaded.remove(doc);
        contained(|| {
            let mut other = match preloaded {
                // Only what was loaded from these very bytes.
                Some((loaded_from, other)) if loaded_from == bytes => other,
                _ => untrusted::load_received(doc.kind, bytes).map_err(malformed)?,
            };
            match self.docs.get(doc) {
                Some(stored) => {
                    let mut merged = stored.doc.clone();
                    untrusted::merge(&mut merged, &mut other).map_err(malformed)?;
                    self.keep(doc, merged, false)
                }
                None => self.keep(doc, other, true),
            }
        })
    }

    fn preload_snapshots(&mut self, snapshots: &[(DocId, &[u8])]) {
        self.preloaded.clear();
        for (doc, bytes) in snapshots {
            // Bytes that do not load are left for `receive_snapshot` to refuse.
            if let Ok(loaded) = untrusted::load_received(doc.kind, bytes) {
                self.preloaded.insert(*doc, (bytes.to_vec(), loaded));
            }
        }
    }
}
