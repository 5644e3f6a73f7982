//! The pair's notes and debrief: free text that belongs to the two educators who visited.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::{EducatorId, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum CommunicationChannel {
    Text,
    Email,
    Phone,
    InPerson,
}

impl CommunicationChannel {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(Self::Text),
            "email" => Some(Self::Email),
            "phone" => Some(Self::Phone),
            "in_person" => Some(Self::InPerson),
            _ => None,
        }
    }
}

/// Every free-text field of a visit's notes and debrief. Each is collaborative text, so two partners
/// typing into the same field at once both keep their words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteField {
    // Notes, written after the visit.
    HopesAndDreams,
    Invitation,
    /// What the family expects of the school and teacher.
    FamilyExpectations,
    /// What the school asks of the family.
    SchoolExpectations,
    CommunicationRhythm,
    // The pair's debrief.
    Learned,
    AssumptionsChanged,
    UseInClass,
    NextSteps,
}

impl NoteField {
    pub const ALL: [NoteField; 9] = [
        NoteField::HopesAndDreams,
        NoteField::Invitation,
        NoteField::FamilyExpectations,
        NoteField::SchoolExpectations,
        NoteField::CommunicationRhythm,
        NoteField::Learned,
        NoteField::AssumptionsChanged,
        NoteField::UseInClass,
        NoteField::NextSteps,
    ];

    /// The field's key inside the notes document (stable: changing one needs a schema upgrade).
    pub fn key(&self) -> &'static str {
        match self {
            NoteField::HopesAndDreams => "hopes_and_dreams",
            NoteField::Invitation => "invitation",
            NoteField::FamilyExpectations => "family_expectations",
            NoteField::SchoolExpectations => "school_expectations",
            NoteField::CommunicationRhythm => "communication_rhythm",
            NoteField::Learned => "learned",
            NoteField::AssumptionsChanged => "assumptions_changed",
            NoteField::UseInClass => "use_in_class",
            NoteField::NextSteps => "next_steps",
        }
    }

    pub fn parse(key: &str) -> Option<NoteField> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn is_debrief(&self) -> bool {
        matches!(
            self,
            NoteField::Learned | NoteField::AssumptionsChanged | NoteField::UseInClass | NoteField::NextSteps
        )
    }

    /// Upper bound on a field's length in UTF-16 units, so a runaway paste cannot bloat a phone.
    pub const MAX_UTF16_LEN: usize = 20_000;
}

/// The pair's mark that their debrief is finished: who set it and when. Fidelity to core practice 5
/// ("educators go in pairs and reflect") is reported from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DebriefDone {
    pub by: EducatorId,
    pub at: Timestamp,
}

/// A read-only view of a visit's notes and debrief.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitNotes {
    pub hopes_and_dreams: String,
    pub invitation: String,
    pub family_expectations: String,
    pub school_expectations: String,
    pub communication_channel: Option<CommunicationChannel>,
    pub communication_rhythm: String,
    pub learned: String,
    pub assumptions_changed: String,
    pub use_in_class: String,
    pub next_steps: String,
    /// Set when the pair has finished the debrief (notes schema v2); `None` until then.
    #[serde(default)]
    pub debrief_done: Option<DebriefDone>,
}

impl VisitNotes {
    pub fn field(&self, field: NoteField) -> &str {
        match field {
            NoteField::HopesAndDreams => &self.hopes_and_dreams,
            NoteField::Invitation => &self.invitation,
            NoteField::FamilyExpectations => &self.family_expectations,
            NoteField::SchoolExpectations => &self.school_expectations,
            NoteField::CommunicationRhythm => &self.communication_rhythm,
            NoteField::Learned => &self.learned,
            NoteField::AssumptionsChanged => &self.assumptions_changed,
            NoteField::UseInClass => &self.use_in_class,
            NoteField::NextSteps => &self.next_steps,
        }
    }

    pub fn field_mut(&mut self, field: NoteField) -> &mut String {
        match field {
            NoteField::HopesAndDreams => &mut self.hopes_and_dreams,
            NoteField::Invitation => &mut self.invitation,
            NoteField::FamilyExpectations => &mut self.family_expectations,
            NoteField::SchoolExpectations => &mut self.school_expectations,
            NoteField::CommunicationRhythm => &mut self.communication_rhythm,
            NoteField::Learned => &mut self.learned,
            NoteField::AssumptionsChanged => &mut self.assumptions_changed,
            NoteField::UseInClass => &mut self.use_in_class,
            NoteField::NextSteps => &mut self.next_steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_keys_are_unique_and_parse_back() {
        let mut keys: Vec<_> = NoteField::ALL.iter().map(|f| f.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), NoteField::ALL.len());
        for f in NoteField::ALL {
            assert_eq!(NoteField::parse(f.key()), Some(f));
        }
        assert_eq!(NoteField::parse("risk_score"), None);
    }

    #[test]
    fn field_accessors_address_the_same_slot() {
        let mut n = VisitNotes::default();
        for (i, f) in NoteField::ALL.into_iter().enumerate() {
            *n.field_mut(f) = format!("v{i}");
        }
        for (i, f) in NoteField::ALL.into_iter().enumerate() {
            assert_eq!(n.field(f), format!("v{i}"));
        }
    }
}
