//! The notes document: one collaborative text per [`NoteField`], edited as splices at UTF-16
//! positions so a Kotlin or Swift text field binds to it directly.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value};
use homevisit_model::{CommunicationChannel, DebriefDone, NoteField, VisitNotes};

use crate::DocError;

pub(crate) fn text_obj(doc: &AutoCommit, field: NoteField) -> Result<ObjId, DocError> {
    let missing = || DocError::Shape(format!("notes without the {} text", field.key()));
    let texts = match doc.get(ROOT, "text")? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => return Err(missing()),
    };
    match doc.get(&texts, field.key())? {
        Some((Value::Object(ObjType::Text), id)) => Ok(id),
        _ => Err(missing()),
    }
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..0xDC00).contains(&unit)
}

/// Deletes `delete` UTF-16 units at `pos` in `field` and inserts `insert` there, then commits.
pub fn splice_note(
    doc: &mut AutoCommit,
    field: NoteField,
    pos: usize,
    delete: usize,
    insert: &str,
) -> Result<(), DocError> {
    let obj = text_obj(doc, field)?;
    let units: Vec<u16> = doc.text(&obj)?.encode_utf16().collect();
    let len = units.len();
    let end = pos.checked_add(delete).filter(|end| *end <= len);
    let Some(end) = end else {
        return Err(DocError::OutOfRange { field, pos, delete, len });
    };
    for at in [pos, end] {
        if at > 0 && at < len && is_high_surrogate(units[at - 1]) {
            return Err(DocError::SplitsCharacter { field, pos: at });
        }
    }
    let new_len = len - delete + insert.encode_utf16().count();
    if new_len > NoteField::MAX_UTF16_LEN && new_len > len {
        return Err(DocError::TooLong { field, max: NoteField::MAX_UTF16_LEN });
    }
    doc.splice_text(&obj, pos, delete as isize, insert)?;
    doc.commit();
    Ok(())
}

/// Replaces the whole text of `field` with `text`, as the smallest set of splices (a diff), so a
/// partner's concurrent edits elsewhere in the field survive. Commits.
pub fn set_note_text(doc: &mut AutoCommit, field: NoteField, text: &str) -> Result<(), DocError> {
    if text.encode_utf16().count() > NoteField::MAX_UTF16_LEN {
        return Err(DocError::TooLong { field, max: NoteField::MAX_UTF16_LEN });
    }
    let obj = text_obj(doc, field)?;
    doc.update_text(&obj, text)?;
    doc.commit();
    Ok(())
}

pub fn note_text(doc: &AutoCommit, field: NoteField) -> Result<String, DocError> {
    Ok(doc.text(text_obj(doc, field)?)?)
}

pub fn set_channel(doc: &mut AutoCommit, channel: Option<CommunicationChannel>) -> Result<(), DocError> {
    autosurgeon::reconcile_prop(doc, ROOT, "channel", channel)?;
    doc.commit();
    Ok(())
}

/// Sets or clears the pair's "debrief done" mark (notes v2) and commits. Who may set it is the
/// caller's rule (the store checks the educator is one of the visit's).
pub fn set_debrief_done(doc: &mut AutoCommit, done: Option<&DebriefDone>) -> Result<(), DocError> {
    autosurgeon::reconcile_prop(doc, ROOT, "debrief_done", done)?;
    doc.commit();
    Ok(())
}

pub fn debrief_done(doc: &AutoCommit) -> Result<Option<DebriefDone>, DocError> {
    Ok(autosurgeon::hydrate_prop(doc, ROOT, "debrief_done")?)
}

/// Writes every field of `notes` (as diffs against what is there), the channel and the "debrief
/// done" mark, in one change.
pub fn write_notes(doc: &mut AutoCommit, notes: &VisitNotes) -> Result<(), DocError> {
    for field in NoteField::ALL {
        let text = notes.field(field);
        if text.encode_utf16().count() > NoteField::MAX_UTF16_LEN {
            return Err(DocError::TooLong { field, max: NoteField::MAX_UTF16_LEN });
        }
        let obj = text_obj(doc, field)?;
        doc.update_text(&obj, text)?;
    }
    autosurgeon::reconcile_prop(doc, ROOT, "channel", notes.communication_channel)?;
    autosurgeon::reconcile_prop(doc, ROOT, "debrief_done", &notes.debrief_done)?;
    doc.commit();
    Ok(())
}

pub fn read_notes(doc: &AutoCommit) -> Result<VisitNotes, DocError> {
    let mut notes = VisitNotes {
        communication_channel: autosurgeon::hydrate_prop(doc, ROOT, "channel")?,
        debrief_done: debrief_done(doc)?,
        ..VisitNotes::default()
    };
    for field in NoteField::ALL {
        *notes.field_mut(field) = note_text(doc, field)?;
    }
    Ok(notes)
}
