//! Records (schools, educators, families, visit logs, prompt packs) stored under the document's
//! `data` key with autosurgeon, which writes only the fields that changed, so two partners editing
//! different fields of a plan both keep their edits.

use automerge::{ActorId, AutoCommit, ROOT};
use autosurgeon::{Hydrate, Reconcile};
use homevisit_model::validate::{
    validate_educator, validate_family, validate_outcome, validate_plan_shape, validate_prompt_pack, validate_school,
};
use homevisit_model::{Educator, Family, PromptPack, School, SchoolId, ValidationError, VisitLog};
use uuid::Uuid;

use crate::map_reads::MapReads;
use crate::root::ENCODING;
use crate::schema::current_version;
use crate::{DocError, DocId, DocKind};

/// A record kept as its own document.
pub trait Record: Reconcile + Hydrate {
    const KIND: DocKind;
    fn doc_id(&self) -> DocId;
    /// Checks that need nothing but the record itself (cross-record rules live in the store).
    fn validate(&self) -> Result<(), ValidationError>;
}

impl Record for School {
    const KIND: DocKind = DocKind::School;
    fn doc_id(&self) -> DocId {
        DocId::new(Self::KIND, self.id.uuid())
    }
    fn validate(&self) -> Result<(), ValidationError> {
        validate_school(self)
    }
}

impl Record for Educator {
    const KIND: DocKind = DocKind::Educator;
    fn doc_id(&self) -> DocId {
        DocId::new(Self::KIND, self.id.uuid())
    }
    fn validate(&self) -> Result<(), ValidationError> {
        validate_educator(self)
    }
}

impl Record for Family {
    const KIND: DocKind = DocKind::Family;
    fn doc_id(&self) -> DocId {
        DocId::new(Self::KIND, self.id.uuid())
    }
    fn validate(&self) -> Result<(), ValidationError> {
        validate_family(self)
    }
}

impl Record for VisitLog {
    const KIND: DocKind = DocKind::VisitLog;
    fn doc_id(&self) -> DocId {
        DocId::new(Self::KIND, self.plan.id.uuid())
    }
    fn validate(&self) -> Result<(), ValidationError> {
        validate_plan_shape(&self.plan)?;
        validate_outcome(&self.plan, &self.outcome)
    }
}

/// Namespace for prompt-pack ids: one pack per (language, visit number) for the district, and one
/// per (school, language, visit number) for a school, the same on every device.
const PROMPT_PACK_NAMESPACE: Uuid = Uuid::from_u128(0x5c1f_4a8e_2b7d_4e11_9a63_0d2c_7f48_b915);

impl Record for PromptPack {
    const KIND: DocKind = DocKind::PromptPack;
    fn doc_id(&self) -> DocId {
        school_prompt_pack_doc_id(self.school_id, self.language.as_str(), self.visit_number.number())
    }
    fn validate(&self) -> Result<(), ValidationError> {
        validate_prompt_pack(self)
    }
}

/// The document id of the district's pack for a language and visit number.
pub fn prompt_pack_doc_id(language: &str, visit_number: u8) -> DocId {
    school_prompt_pack_doc_id(None, language, visit_number)
}

/// The document id of a school's pack (`None`: the district's, the id packs had before schools
/// had their own). Derived from all three, so `check` refuses a pack whose content names another
/// school, language or visit than its id.
pub fn school_prompt_pack_doc_id(school: Option<SchoolId>, language: &str, visit_number: u8) -> DocId {
    let name = match school {
        None => format!("prompt-pack/{language}/{visit_number}"),
        Some(school) => format!("prompt-pack/school/{school}/{language}/{visit_number}"),
    };
    DocId::new(DocKind::PromptPack, Uuid::new_v5(&PROMPT_PACK_NAMESPACE, name.as_bytes()))
}

/// The root of a record document.
#[derive(Reconcile)]
struct RecordRoot<'a, T: Reconcile> {
    schema_version: u64,
    kind: &'static str,
    id: String,
    data: &'a T,
}

/// A new document holding `value`, written by `actor` as one change.
///
/// Unlike notes, records need no deterministic skeleton: their ids are random (or, for prompt
/// packs, a second concurrent creation is a whole-record last-writer-wins), and writing the whole
/// root in one batch is several times faster than field-by-field puts.
pub fn create_record<T: Record>(value: &T, actor: &ActorId) -> Result<AutoCommit, DocError> {
    value.validate()?;
    let id = value.doc_id();
    let mut doc = AutoCommit::new_with_encoding(ENCODING).with_actor(actor.clone());
    let root = RecordRoot {
        schema_version: current_version(T::KIND),
        kind: T::KIND.as_str(),
        id: id.id.hyphenated().to_string(),
        data: value,
    };
    autosurgeon::reconcile(&mut doc, &root)?;
    doc.commit();
    Ok(doc)
}

pub fn read_record<T: Record>(doc: &AutoCommit) -> Result<T, DocError> {
    read_record_from(&MapReads::new(doc))
}

/// [`read_record`] through reads the caller has begun (its check read the root already).
pub(crate) fn read_record_from<T: Record>(reads: &MapReads<'_>) -> Result<T, DocError> {
    Ok(autosurgeon::hydrate_prop(reads, ROOT, "data")?)
}

/// Writes `value` over the record, touching only what changed, and commits.
pub fn write_record<T: Record>(doc: &mut AutoCommit, value: &T) -> Result<(), DocError> {
    value.validate()?;
    autosurgeon::reconcile_prop(doc, ROOT, "data", value)?;
    doc.commit();
    Ok(())
}
