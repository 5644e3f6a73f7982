//! Creating and loading documents.
//!
//! A notes document starts with a *skeleton* change: schema version, kind, id and one empty text
//! object per field. That change is deterministic: its actor is derived from the document id and
//! its time is zero, so two devices that create the same notes produce the identical change,
//! Automerge deduplicates it, and both partners' words land in the *same* text objects instead of
//! two rival ones where one partner's words would be hidden.

use automerge::transaction::{CommitOptions, Transactable};
use std::collections::HashMap;

use automerge::{ActorId, AutoCommit, LoadOptions, ObjType, ROOT, ScalarValue, TextEncoding, hydrate};
use homevisit_model::{NoteField, VisitId, VisitNotes};

use crate::schema::{SCHEMA_KEY, current_version};
use crate::{DocError, DocId, DocKind};

/// Every document uses UTF-16 code units for text positions.
pub const ENCODING: TextEncoding = TextEncoding::Utf16CodeUnit;

fn skeleton_actor(id: &DocId) -> ActorId {
    let mut bytes = Vec::with_capacity(17);
    bytes.push(id.kind.code());
    bytes.extend_from_slice(id.id.as_bytes());
    ActorId::from(bytes)
}

/// A new document holding only its deterministic skeleton. The returned document has a random
/// actor; a store replaces it with the device's actor.
pub fn new_skeleton(id: &DocId) -> AutoCommit {
    let mut doc = AutoCommit::new_with_encoding(ENCODING).with_actor(skeleton_actor(id));
    let build = |doc: &mut AutoCommit| -> Result<(), automerge::AutomergeError> {
        doc.put(ROOT, SCHEMA_KEY, current_version(id.kind))?;
        doc.put(ROOT, "kind", id.kind.as_str())?;
        doc.put(ROOT, "id", id.id.hyphenated().to_string())?;
        if id.kind == DocKind::VisitNotes {
            doc.put(ROOT, "channel", automerge::ScalarValue::Null)?;
            let text = doc.put_object(ROOT, "text", ObjType::Map)?;
            for field in NoteField::ALL {
                doc.put_object(&text, field.key(), ObjType::Text)?;
            }
        }
        Ok(())
    };
    build(&mut doc).expect("writing to a fresh document cannot fail");
    doc.commit_with(CommitOptions::default().with_time(0));
    doc.set_actor(ActorId::random());
    doc
}

/// A visit's notes document: every note and debrief field as empty collaborative text.
pub fn create_notes(visit: VisitId) -> AutoCommit {
    new_skeleton(&DocId::new(DocKind::VisitNotes, visit.uuid()))
}

/// A visit's notes document that starts with content, written by `actor`: for importing visits
/// whose notes already exist elsewhere. Empty notes get the deterministic skeleton; notes with
/// content are written as one batch (a single op-set splice instead of one per character, ~25%
/// faster). An imported visit is new to every device, so no second device creates it concurrently.
pub fn create_notes_with(visit: VisitId, notes: &VisitNotes, actor: &ActorId) -> Result<AutoCommit, DocError> {
    if *notes == VisitNotes::default() {
        return Ok(create_notes(visit).with_actor(actor.clone()));
    }
    let mut texts: HashMap<&str, hydrate::Value> = HashMap::new();
    for field in NoteField::ALL {
        let text = notes.field(field);
        if text.encode_utf16().count() > NoteField::MAX_UTF16_LEN {
            return Err(DocError::TooLong { field, max: NoteField::MAX_UTF16_LEN });
        }
        texts.insert(field.key(), hydrate::Value::text(ENCODING, text));
    }
    let id = visit.uuid().hyphenated().to_string();
    let root: HashMap<&str, hydrate::Value> = HashMap::from([
        (SCHEMA_KEY, hydrate::Value::from(current_version(DocKind::VisitNotes))),
        ("kind", hydrate::Value::from(DocKind::VisitNotes.as_str())),
        ("id", hydrate::Value::from(id.as_str())),
        ("channel", hydrate::Value::from(ScalarValue::Null)),
        ("text", hydrate::Value::from(texts)),
    ]);
    let mut doc = AutoCommit::new_with_encoding(ENCODING).with_actor(actor.clone());
    doc.init_root_from_hydrate(&hydrate::Map::from(root))?;
    autosurgeon::reconcile_prop(&mut doc, ROOT, "channel", notes.communication_channel)?;
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
