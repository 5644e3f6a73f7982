//! The one rule for what a document is and whom it concerns.
//!
//! A document's identity is its [`DocId`]; its content must agree with it. [`check`] reads a
//! document (already brought to the current schema by [`crate::upgrade`]) and refuses it unless
//! its kind, schema version and ids are those its id says, and its record passes the model's own
//! validation. What passes is returned typed ([`Content`]), and [`Content::scope`] says whom it
//! concerns (school, visit, educators, family). The phone's store and both relay storages keep that
//! scope under the *document id* and decide access from it, so no content can make a document
//! speak for another one.
//!
//! A visit's notes carry no school or educators of their own: they are governed by their visit's
//! log ([`governing_doc`]).

use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use homevisit_model::{
    CommunicationChannel, DebriefDone, Educator, EducatorId, Family, FamilyId, NoteField, PromptPack, School, SchoolId,
    VisitId, VisitLog,
};

use crate::map_reads::MapReads;
use crate::record::read_record_from;
use crate::root::{SCHEMA_KEY, read_str, read_u64};
use crate::schema::current_version;
use crate::untrusted::contained;
use crate::{DocError, DocId, DocKind, Record};

/// A checked document's content, typed.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    School(School),
    Educator(Educator),
    Family(Family),
    VisitLog(VisitLog),
    /// Notes are checked for shape (every field is collaborative text within its length) but not
    /// read: their text is the pair's, and reading it costs more than the check needs.
    VisitNotes,
    PromptPack(PromptPack),
}

/// Whom a document concerns: what access is decided on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    pub school: Option<SchoolId>,
    /// For a visit's log and notes.
    pub visit: Option<VisitId>,
    /// For a visit's log: its educators, in plan order.
    pub educators: Vec<EducatorId>,
    /// For a family record and a visit's log.
    pub family: Option<FamilyId>,
}

impl Content {
    /// Whom this content concerns. Notes name only their visit; their school and educators are
    /// their visit log's (see [`governing_doc`]).
    pub fn scope(&self, id: &DocId) -> Scope {
        match self {
            Content::School(s) => Scope { school: Some(s.id), ..Scope::default() },
            Content::Educator(e) => Scope { school: Some(e.school_id), ..Scope::default() },
            Content::Family(f) => Scope { school: Some(f.school_id), family: Some(f.id), ..Scope::default() },
            Content::VisitLog(log) => Scope {
                school: Some(log.plan.school_id),
                visit: Some(log.plan.id),
                educators: log.plan.educator_ids.clone(),
                family: Some(log.plan.family_id),
            },
            Content::VisitNotes => Scope { visit: Some(VisitId(id.id)), ..Scope::default() },
            // The district's pack concerns nobody in particular; a school's pack, its school.
            Content::PromptPack(p) => Scope { school: p.school_id, ..Scope::default() },
        }
    }
}

/// The document whose scope decides access to `id`: a visit's notes are governed by its log;
/// every other document by itself.
pub fn governing_doc(id: &DocId) -> DocId {
    match id.kind {
        DocKind::VisitNotes => DocId::new(DocKind::VisitLog, id.id),
        _ => *id,
    }
}

/// Checks that `doc` is the document `id` names: its kind, its schema version (the current one:
/// upgrade first), the ids inside it, and the model's rules for its record. Runs contained: a
/// crafted document that makes Automerge panic is an error, like any other bad document.
pub fn check(id: &DocId, doc: &AutoCommit) -> Result<Content, DocError> {
    contained("check a document", || {
        // A merge of two documents within the limit can pass it.
        let (ops, max) = (doc.stats().num_ops, crate::limits::max_ops(id.kind));
        if ops > max {
            return Err(DocError::TooManyOps { kind: id.kind.as_str(), ops, max });
        }
        // The root's fields and the record are read through one `MapReads`: the root once.
        let reads = MapReads::new(doc);
        let kind = read_str(&reads, &ROOT, "kind").unwrap_or_default();
        if kind != id.kind.as_str() {
            return Err(DocError::WrongKind { expected: id.kind.as_str(), found: kind });
        }
        match read_u64(&reads, SCHEMA_KEY) {
            Some(v) if v == current_version(id.kind) => {}
            Some(v) if v > current_version(id.kind) => {
                return Err(DocError::NewerSchema { found: v, supported: current_version(id.kind) });
            }
            Some(_) => return Err(DocError::Shape("an older schema version that was not upgraded".into())),
            None => return Err(DocError::MissingSchema),
        }
        if read_str(&reads, &ROOT, "id").as_deref() != Some(id.id.hyphenated().to_string().as_str()) {
            return Err(DocError::IdMismatch { what: "document" });
        }
        Ok(match id.kind {
            DocKind::School => Content::School(record(id, &reads)?),
            DocKind::Educator => Content::Educator(record(id, &reads)?),
            DocKind::Family => Content::Family(record(id, &reads)?),
            DocKind::VisitLog => Content::VisitLog(record(id, &reads)?),
            DocKind::PromptPack => Content::PromptPack(record(id, &reads)?),
            DocKind::VisitNotes => {
                check_notes(doc)?;
                Content::VisitNotes
            }
        })
    })
}

/// Reads the record and checks that its own id is the document's and that it is valid.
fn record<T: Record>(id: &DocId, reads: &MapReads<'_>) -> Result<T, DocError> {
    let value: T = read_record_from(reads)?;
    if value.doc_id() != *id {
        return Err(DocError::IdMismatch { what: "record" });
    }
    value.validate()?;
    Ok(value)
}

/// Every note field is collaborative text no longer than the limit, and the channel is readable.
fn check_notes(doc: &AutoCommit) -> Result<(), DocError> {
    let texts = match doc.get(ROOT, "text")? {
        Some((Value::Object(ObjType::Map), texts)) => texts,
        _ => return Err(DocError::Shape("notes without their texts".into())),
    };
    for field in NoteField::ALL {
        match doc.get(&texts, field.key())? {
            // The document's text encoding is UTF-16, so its length is in UTF-16 units.
            Some((Value::Object(ObjType::Text), text)) if doc.length(&text) <= NoteField::MAX_UTF16_LEN => {}
            Some((Value::Object(ObjType::Text), _)) => {
                return Err(DocError::TooLong { field, max: NoteField::MAX_UTF16_LEN });
            }
            _ => return Err(DocError::Shape(format!("notes without the {} text", field.key()))),
        }
    }
    let _: Option<CommunicationChannel> = autosurgeon::hydrate_prop(doc, ROOT, "channel")?;
    // v2: the "debrief done" mark is null or a well-formed mark (who may set it is the store's rule).
    match doc.get(ROOT, "debrief_done")? {
        Some(_) => {
            let _: Option<DebriefDone> = autosurgeon::hydrate_prop(doc, ROOT, "debrief_done")?;
        }
        None => return Err(DocError::Shape("notes without their debrief_done mark".into())),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::ActorId;
    use automerge::transaction::Transactable;
    use homevisit_model::{EducatorRole, VisitNotes};
    use uuid::Uuid;

    fn educator(school: SchoolId) -> Educator {
        Educator {
            id: EducatorId::new(),
            school_id: school,
            display_name: "E".into(),
            role: EducatorRole::Teacher,
            training_date: None,
        }
    }

    #[test]
    fn a_record_passes_under_its_own_id_and_names_its_scope() {
        let e = educator(SchoolId::new());
        let doc = crate::create_record(&e, &ActorId::random()).unwrap();
        let content = check(&e.doc_id(), &doc).unwrap();
        assert_eq!(content, Content::Educator(e.clone()));
        assert_eq!(content.scope(&e.doc_id()).school, Some(e.school_id));
    }

    #[test]
    fn a_record_under_another_id_is_refused() {
        // The takeover: a copy of one's own record under a new document id...
        let e = educator(SchoolId::new());
        let mut doc = crate::create_record(&e, &ActorId::random()).unwrap();
        let other = DocId::new(DocKind::Educator, Uuid::new_v4());
        assert!(matches!(check(&other, &doc), Err(DocError::IdMismatch { .. })));
        // ...or with the root id rewritten to match but the record's own id left as it was.
        let mut forged = doc.fork();
        forged.put(ROOT, "id", other.id.hyphenated().to_string()).unwrap();
        assert!(matches!(check(&other, &forged), Err(DocError::IdMismatch { what: "record" })));
        // A document of another kind under this id.
        let as_family = DocId::new(DocKind::Family, e.id.uuid());
        assert!(matches!(check(&as_family, &doc), Err(DocError::WrongKind { .. })));
    }

    #[test]
    fn an_invalid_record_is_refused() {
        let mut e = educator(SchoolId::new());
        let mut doc = crate::create_record(&e, &ActorId::random()).unwrap();
        e.display_name = " ".into();
        autosurgeon::reconcile_prop(&mut doc, ROOT, "data", &e).unwrap(); // past write_record's check
        assert!(matches!(check(&e.doc_id(), &doc), Err(DocError::Invalid(_))));
    }

    #[test]
    fn notes_are_checked_for_shape_and_length() {
        let visit = VisitId::new();
        let id = DocId::new(DocKind::VisitNotes, visit.uuid());
        let mut doc = crate::create_notes(visit);
        assert_eq!(check(&id, &doc).unwrap(), Content::VisitNotes);
        assert_eq!(Content::VisitNotes.scope(&id).visit, Some(visit));
        let long = "x".repeat(NoteField::MAX_UTF16_LEN + 1);
        let texts = match doc.get(ROOT, "text").unwrap() {
            Some((_, t)) => t,
            None => unreachable!(),
        };
        let (_, learned) = doc.get(&texts, NoteField::Learned.key()).unwrap().unwrap();
        doc.splice_text(&learned, 0, 0, &long).unwrap();
        assert!(matches!(check(&id, &doc), Err(DocError::TooLong { .. })));
        let other = DocId::new(DocKind::VisitNotes, Uuid::new_v4());
        let fresh = crate::create_notes_with(visit, &VisitNotes::default(), &ActorId::random()).unwrap();
        assert!(matches!(check(&other, &fresh), Err(DocError::IdMismatch { .. })));
    }

    #[test]
    fn notes_take_their_visit_logs_scope() {
        let id = DocId::new(DocKind::VisitNotes, Uuid::new_v4());
        assert_eq!(governing_doc(&id), DocId::new(DocKind::VisitLog, id.id));
        let log = DocId::new(DocKind::VisitLog, id.id);
        assert_eq!(governing_doc(&log), log);
    }
}
