//! Conversation-starter prompt packs: content, not code. The built-in packs (one data file per
//! language under `prompts/`, see `prompt_files.rs`, which also gives `PromptPack::built_in`) are what a phone shows until a district
//! administrator edits a pack, for the whole district or for one school; edited packs are synced
//! as documents.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::SchoolId;
use crate::language::Language;
use crate::time::Day;
use crate::visit::VisitNumber;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PromptPack {
    pub language: Language,
    pub visit_number: VisitNumber,
    pub title: String,
    pub prompts: Vec<String>,
    /// The school this pack is for; `None` for the district's pack. Part of the pack's document
    /// id, so a school's pack cannot pose as another school's.
    ///
    /// This field and the two below came after the first release: a document written without
    /// them reads them as `None` (autosurgeon's `missing`; a bare `Option` field that is absent
    /// is an error to autosurgeon, not `None`).
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub school_id: Option<SchoolId>,
    /// Who reviewed the wording as a native speaker, and when; `None` while it is a draft.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub reviewed: Option<Review>,
    /// A word for coordinators about the pack (for example that it is an unreviewed draft).
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub note: Option<String>,
}

/// A native speaker's review of a pack's wording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Review {
    /// Who reviewed it: a role or office is enough ("district Somali liaison").
    pub by: String,
    pub on: Day,
}

impl PromptPack {
    /// Whether a native speaker has reviewed the wording.
    pub fn is_reviewed(&self) -> bool {
        self.reviewed.is_some()
    }
}
