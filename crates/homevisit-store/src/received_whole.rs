//! Documents received whole, worked on before they are written. Loading one strictly, bringing a
//! new one's schema up and checking it, or reading new notes' heads from their header, is CPU work
//! that reads no storage: a batch's documents are worked on together, on every core, and each
//! write then takes its document's result, leaving the storage's one connection (which writes a
//! document at a time) only the reads and writes. The device store and both relay storages use it.
//!
//! Nothing failed is kept: bytes that fail anywhere here are worked on again by their write, which
//! meets the same failure and answers it.

use std::collections::HashMap;

use automerge::{AutoCommit, ChangeHash};
use homevisit_docs::{Content, DocError, DocId, untrusted};

use crate::parallel;

/// What a received document's write needs from its bytes. (Most variants hold an `AutoCommit`,
/// which is large; a batch holds a few dozen, each moved once into the map and once out.)
#[allow(clippy::large_enum_variant)]
pub enum ReceivedWhole {
    /// New notes, to be stored as they came under the heads their header declares
    /// ([`untrusted::unloaded_notes_heads`]).
    UnloadedNotes(Vec<ChangeHash>),
    /// A new document: loaded strictly, its schema brought up (`upgraded`: that changed it, so the
    /// bytes it came as are no longer what it is) and checked.
    New { doc: AutoCommit, upgraded: bool, content: Content },
    /// Loaded strictly, nothing more: to merge into the stored document (or a new document whose
    /// write decides itself what it is, such as one with no changes).
    Loaded(AutoCommit),
}

impl ReceivedWhole {
    /// Works on the bytes of document `id`, `is_new` if the storage does not hold it; fails as the
    /// document's write would (a write with no work ahead for it calls this itself).
    pub fn work(id: &DocId, bytes: &[u8], is_new: bool) -> Result<Self, DocError> {
        if is_new && let Some(heads) = untrusted::unloaded_notes_heads(id.kind, bytes)? {
            return Ok(Self::UnloadedNotes(heads));
        }
        let mut doc = untrusted::load_received(id.kind, bytes)?;
        if !is_new || doc.get_heads().is_empty() {
            return Ok(Self::Loaded(doc));
        }
        let (doc, upgraded, content) = upgrade_and_check(id, doc)?;
        Ok(Self::New { doc, upgraded, content })
    }
}

/// Brings a document new here up to the current schema (returning whether that changed it) and
/// checks it ([`homevisit_docs::check`]): what a device does with any document new to it.
pub fn upgrade_and_check(id: &DocId, mut doc: AutoCommit) -> Result<(AutoCommit, bool, Content), DocError> {
    let upgraded = homevisit_docs::upgrade(&mut doc, id.kind)?;
    let content = homevisit_docs::check(id, &doc)?;
    Ok((doc, upgraded, content))
}

/// Documents a batch is about to write whole, worked on ahead, each with the bytes it was worked
/// on from (a write takes the work only for these very bytes).
#[derive(Default)]
pub struct WorkedAhead(HashMap<DocId, (Vec<u8>, ReceivedWhole)>);

impl WorkedAhead {
    /// Replaces what was worked on before with `docs` (each with whether it is new here), worked on
    /// on every core. An empty list frees it.
    pub fn work_on(&mut self, docs: &[(DocId, &[u8], bool)]) {
        self.0.clear();
        let worked = parallel::map_each(docs, 2, |(id, bytes, is_new)| ReceivedWhole::work(id, bytes, *is_new).ok());
        for ((id, bytes, _), worked) in docs.iter().zip(worked) {
            if let Some(worked) = worked {
                self.0.insert(*id, (bytes.to_vec(), worked));
            }
        }
    }

    /// The work on a new document (its check or its notes' heads) if it was done on these bytes.
    pub fn take_new(&mut self, id: &DocId, bytes: &[u8]) -> Option<ReceivedWhole> {
        match self.0.get(id) {
            Some((from, ReceivedWhole::New { .. } | ReceivedWhole::UnloadedNotes(_))) if from == bytes => {
                self.0.remove(id).map(|(_, worked)| worked)
            }
            _ => None,
        }
    }

    /// The document loaded (and nothing more) from these bytes, if it was.
    pub fn take_loaded(&mut self, id: &DocId, bytes: &[u8]) -> Option<AutoCommit> {
        match self.0.get(id) {
            Some((from, ReceivedWhole::Loaded(_))) if from == bytes => match self.0.remove(id) {
                Some((_, ReceivedWhole::Loaded(doc))) => Some(doc),
                _ => None,
            },
            _ => None,
        }
    }

    /// The work done on `id`, whatever bytes it was done on.
    pub fn get(&self, id: &DocId) -> Option<&ReceivedWhole> {
        self.0.get(id).map(|(_, worked)| worked)
    }

    pub fn forget(&mut self, id: &DocId) {
        self.0.remove(id);
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homevisit_docs::{DocKind, Record};

    /// A school record, made as a device makes one.
    fn school_doc(n: u128) -> (DocId, Vec<u8>) {
        let school =
            homevisit_model::School { id: homevisit_model::SchoolId(uuid::Uuid::from_u128(n)), name: "A".into() };
        let mut doc = homevisit_docs::create_record(&school, &automerge::ActorId::random()).expect("a school document");
        (school.doc_id(), doc.save())
    }

    #[test]
    fn a_new_document_is_checked_ahead_and_taken_only_for_the_same_bytes() {
        let (id, bytes) = school_doc(7);
        let mut ahead = WorkedAhead::default();
        ahead.work_on(&[(id, &bytes, true)]);
        assert!(ahead.take_loaded(&id, &bytes).is_none(), "a new document's work is its check");
        let mut other = bytes.clone();
        other.push(0);
        assert!(ahead.take_new(&id, &other).is_none(), "other bytes: worked on again by the write");
        match ahead.take_new(&id, &bytes) {
            Some(ReceivedWhole::New { upgraded: false, content: Content::School(s), .. }) => assert_eq!(s.doc_id(), id),
            _ => panic!("the school, checked"),
        }
        assert!(ahead.take_new(&id, &bytes).is_none(), "taken once");
    }

    #[test]
    fn a_stored_document_is_only_loaded_and_failures_are_not_kept() {
        let (id, bytes) = school_doc(7);
        let mut ahead = WorkedAhead::default();
        let damaged = &bytes[..bytes.len() - 3];
        let other = DocId::new(DocKind::School, uuid::Uuid::from_u128(9));
        ahead.work_on(&[(id, &bytes, false), (other, damaged, true)]);
        assert!(ahead.take_new(&id, &bytes).is_none());
        assert!(ahead.take_loaded(&id, &bytes).is_some());
        assert!(ahead.get(&other).is_none(), "damaged bytes are left for their write to refuse");
        // A school under another's id fails its check: nothing kept either.
        ahead.work_on(&[(other, &bytes, true)]);
        assert!(ahead.get(&other).is_none());
    }
}
