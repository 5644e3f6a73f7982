//! Creating and loading documents.
//!
//! A notes document starts with a *skeleton* change: schema version 1, kind, id and one empty text
//! object per v1 field. That change is deterministic: its actor is derived from the document id and
//! its time is zero, so two devices that create the same notes produce the identical change,
//! Automerge deduplicates it, and both partners' words land in the *same* text objects instead of
//! two rival ones where one partner's words would be hidden. The v1 skeleton is frozen: fields
//! added later arrive through the per-version step changes of `steps.rs`, which are just as
//! deterministic, so a new document is the v1 skeleton plus every step, byte for byte what an old
//! document becomes when it is upgraded.

use automerge::transaction::{CommitOptions, Transactable};

use automerge::{ActorId, AutoCommit, LoadOptions, ObjType, ROOT};
use homevisit_model::{NoteField, VisitId, VisitNotes};

use crate::root::SCHEMA_KEY;
use crate::schema::current_version;
use crate::{DocError, DocId, DocKind};

pub use crate::root::ENCODING;

/// The text fields of the v1 notes skeleton, in the order it creates them. Frozen: these are keys
/// in every notes document ever made; a new field is added by a step (`steps.rs`), never here.
pub(crate) const NOTES_V1_TEXTS: [&str; 9] = [
    "hopes_and_dreams",
    "invitation",
    "family_expectations",
    "school_expectations",
    "communication_rhythm",
    "learned",
    "assumptions_changed",
    "use_in_class",
    "next_steps",
];

fn skeleton_actor(id: &DocId) -> ActorId {
    let mut bytes = Vec::with_capacity(17);
    bytes.push(id.kind.code());
    bytes.extend_from_slice(id.id.as_bytes());
    ActorId::from(bytes)
}

/// The version a new document's first change writes: 1 for kinds that grow through steps (the
/// steps bring it to the current version), the current version for the others.
fn skeleton_version(kind: DocKind) -> u64 {
    if crate::steps::has_steps(kind) { 1 } else { current_version(kind) }
}

/// A new document holding only its deterministic skeleton (for notes: the frozen v1 skeleton and
/// every step since). The returned document has a random actor; a store replaces it with the
/// device's actor.
pub fn new_skeleton(id: &DocId) -> AutoCommit {
    let mut doc = AutoCommit::new_with_encoding(ENCODING).with_actor(skeleton_actor(id));
    let version = skeleton_version(id.kind);
    let build = |doc: &mut AutoCommit| -> Result<(), automerge::AutomergeError> {
        doc.put(ROOT, SCHEMA_KEY, version)?;
        doc.put(ROOT, "kind", id.kind.as_str())?;
        doc.put(ROOT, "id", id.id.hyphenated().to_string())?;
        if id.kind == DocKind::VisitNotes {
            doc.put(ROOT, "channel", automerge::ScalarValue::Null)?;
            let text = doc.put_object(ROOT, "text", ObjType::Map)?;
            for key in NOTES_V1_TEXTS {
                doc.put_object(&text, key, ObjType::Text)?;
            }
        }
        Ok(())
    };
    build(&mut doc).expect("writing to a fresh document cannot fail");
    doc.commit_with(CommitOptions::default().with_time(0));
    crate::steps::write_steps(&mut doc, id, version);
    doc.set_actor(ActorId::random());
    doc
}

/// A visit's notes document: every note and debrief field as empty collaborative text.
pub fn create_notes(visit: VisitId) -> AutoCommit {
    new_skeleton(&DocId::new(DocKind::VisitNotes, visit.uuid()))
}

/// A visit's notes document that starts with content, written by `actor`: for importing visits
/// whose notes already exist elsewhere. The skeleton (shared by every device), then the content
/// in one change: each non-empty field inserted whole.
pub fn create_notes_with(visit: VisitId, notes: &VisitNotes, actor: &ActorId) -> Result<AutoCommit, DocError> {
    let mut doc = create_notes(visit).with_actor(actor.clone());
    if *notes == VisitNotes::default() {
        return Ok(doc);
    }
    for field in NoteField::ALL {
        let text = notes.field(field);
        if text.encode_utf16().count() > NoteField::MAX_UTF16_LEN {
            return Err(DocError::TooLong { field, max: NoteField::MAX_UTF16_LEN });
        }
        if !text.is_empty() {
            let obj = crate::notes::text_obj(&doc, field)?;
            doc.splice_text(&obj, 0, 0, text)?;
        }
    }
    autosurgeon::reconcile_prop(&mut doc, ROOT, "channel", notes.communication_channel)?;
    autosurgeon::reconcile_prop(&mut doc, ROOT, "debrief_done", &notes.debrief_done)?;
    doc.commit();
    Ok(doc)
}

/// Loads a saved document (a snapshot, or a snapshot followed by changes) with UTF-16 text indexing.
/// Contained ([`crate::untrusted`]): bytes that make Automerge panic are an error like any other.
pub fn load(bytes: &[u8]) -> Result<AutoCommit, DocError> {
    let ops = crate::untrusted::screen_chunks(bytes)?;
    if ops > crate::limits::MAX_ANY_OPS {
        return Err(DocError::TooManyOps { kind: "document", ops, max: crate::limits::MAX_ANY_OPS });
    }
    crate::untrusted::contained("load a document", || {
        AutoCommit::load_with_options(bytes, LoadOptions::new().text_encoding(ENCODING))
            .map_err(|e| DocError::Corrupt(Box::new(e)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn skeletons_of_the_same_document_are_identical_on_every_device() {
        let id = DocId::new(DocKind::VisitNotes, Uuid::new_v4());
        let mut a = new_skeleton(&id);
        let mut b = new_skeleton(&id);
        assert_eq!(a.get_heads(), b.get_heads());
        assert_ne!(a.get_actor(), b.get_actor(), "each copy writes with its own actor afterwards");
        let other = new_skeleton(&DocId::new(DocKind::VisitLog, id.id));
        assert_ne!(other.clone().get_heads(), a.get_heads(), "the kind is part of the identity");
    }
}
