//! The homevisit domain model: what a Parent Teacher Home Visit is, who takes part, and the rules
//! the software must respect (see `shared/domain.md`). Pure data and validation, no I/O.
//!
//! Deliberately absent: any field about a student's risk, behaviour, attendance or achievement.
//! Visits are universal; the model has nothing that could rank or target families.

pub mod ids;
pub mod language;
pub mod notes;
pub mod prompt_files;
pub mod prompts;
pub mod roster;
pub mod time;
pub mod validate;
pub mod visit;

pub use ids::{EducatorId, FamilyId, SchoolId, VisitId};
pub use language::Language;
pub use notes::{CommunicationChannel, DebriefDone, NoteField, VisitNotes};
pub use prompts::{PromptPack, Review};
pub use roster::{AgreementRenewal, ContactPreference, Educator, EducatorRole, Family, Grade, School, Student};
pub use time::{Day, Timestamp};
pub use validate::ValidationError;
pub use visit::{
    CoordinatorConfirmation, FamilyAgreement, Interpreter, InterpreterKind, PartnerConfirmation, Place, VisitLog,
    VisitNumber, VisitOutcome, VisitPlan, VisitStatus,
};
