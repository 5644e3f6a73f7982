//! Schools, educators and families: who takes part in visits.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{EducatorId, FamilyId, SchoolId, VisitId};
use crate::language::Language;
use crate::notes::CommunicationChannel;
use crate::time::{Day, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct School {
    pub id: SchoolId,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum EducatorRole {
    Teacher,
    Counselor,
    Paraprofessional,
    Administrator,
    /// Runs the programme at a school or district; reads logs, pays stipends.
    Coordinator,
    OtherStaff,
}

impl EducatorRole {
    pub const ALL: [EducatorRole; 6] = [
        EducatorRole::Teacher,
        EducatorRole::Counselor,
        EducatorRole::Paraprofessional,
        EducatorRole::Administrator,
        EducatorRole::Coordinator,
        EducatorRole::OtherStaff,
    ];

    /// The role's one text form (its serde form too): what the store indexes, the FFI shows and the
    /// CLI prints.
    pub const fn as_str(self) -> &'static str {
        match self {
            EducatorRole::Teacher => "teacher",
            EducatorRole::Counselor => "counselor",
            EducatorRole::Paraprofessional => "paraprofessional",
            EducatorRole::Administrator => "administrator",
            EducatorRole::Coordinator => "coordinator",
            EducatorRole::OtherStaff => "other_staff",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Educator {
    pub id: EducatorId,
    pub school_id: SchoolId,
    pub display_name: String,
    pub role: EducatorRole,
    /// The day the educator completed PTHV training; `None` until trained.
    pub training_date: Option<Day>,
}

impl Educator {
    /// Trained on or before `day` (training on the day of the visit counts).
    pub fn is_trained_on(&self, day: Day) -> bool {
        self.training_date.is_some_and(|t| t <= day)
    }
}

/// A school grade, Pre-K to 12. A student is recorded by first name and grade only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    PreK,
    K,
    G1,
    G2,
    G3,
    G4,
    G5,
    G6,
    G7,
    G8,
    G9,
    G10,
    G11,
    G12,
}

impl Grade {
    pub const ALL: [Grade; 14] = [
        Grade::PreK,
        Grade::K,
        Grade::G1,
        Grade::G2,
        Grade::G3,
        Grade::G4,
        Grade::G5,
        Grade::G6,
        Grade::G7,
        Grade::G8,
        Grade::G9,
        Grade::G10,
        Grade::G11,
        Grade::G12,
    ];

    /// Parses `PK`, `K` or `1`..`12`.
    pub fn parse(s: &str) -> Option<Grade> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PK" | "PREK" | "PRE-K" => Some(Grade::PreK),
            "K" => Some(Grade::K),
            n => n.parse::<usize>().ok().filter(|n| (1..=12).contains(n)).map(|n| Self::ALL[n + 1]),
        }
    }

    pub fn label(&self) -> &'static str {
        const LABELS: [&str; 14] = ["PK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];
        LABELS[Self::ALL.iter().position(|g| g == self).expect("grade is in ALL")]
    }
}

/// A child in the family. First name, grade and classes only: the model does not target students.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Student {
    pub first_name: String,
    pub grade: Grade,
    /// The titles of the classes the student is enrolled in (from the district's roster), so a
    /// teacher finds their class's families. Added after the first documents were written: a
    /// document without the key reads as no classes (`missing`), and JSON without it too.
    #[serde(default)]
    #[autosurgeon(missing = "Vec::new")]
    pub classes: Vec<String>,
}

/// How and how often the family wants to hear from the school.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ContactPreference {
    pub channel: CommunicationChannel,
    /// e.g. "a text every other Friday"; free text chosen with the family.
    pub rhythm: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Family {
    pub id: FamilyId,
    pub school_id: SchoolId,
    /// How the family is shown on screen, e.g. "Garcia family".
    pub display_name: String,
    pub preferred_language: Language,
    pub interpreter_needed: bool,
    pub contact: Option<ContactPreference>,
    pub students: Vec<Student>,
    /// A coordinator's record that the family agreed again after declining: it lifts the declines
    /// it lists (visits whose status is [`crate::VisitStatus::FamilyDeclined`]). A decline not
    /// listed here still stands. Missing (documents made before it existed) reads as `None`.
    #[autosurgeon(missing = "Option::default")]
    #[serde(default)]
    pub agreement_renewed: Option<AgreementRenewal>,
}

/// The family agreed to visits again, recorded by a school coordinator (on the relay, only a
/// coordinator's or administrator's device may write it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct AgreementRenewal {
    pub agreed_at: Timestamp,
    /// The declined visits this agreement lifts (at most [`crate::validate::MAX_LIFTED_DECLINES`]).
    pub lifts: Vec<VisitId>,
}

impl Family {
    /// Whether the family's "no" stands: one of `declined` (its visits recorded as declined) is
    /// not lifted by a renewed agreement. Such a family is not offered for planning.
    pub fn has_declined(&self, declined: &[VisitId]) -> bool {
        let lifted = self.agreement_renewed.as_ref().map(|r| r.lifts.as_slice()).unwrap_or_default();
        declined.iter().any(|v| !lifted.contains(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_has_one_text_form() {
        for role in EducatorRole::ALL {
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str(), "{role:?}");
        }
    }

    #[test]
    fn grades_parse_and_label() {
        assert_eq!(Grade::parse("pk"), Some(Grade::PreK));
        assert_eq!(Grade::parse("K"), Some(Grade::K));
        assert_eq!(Grade::parse("3"), Some(Grade::G3));
        assert_eq!(Grade::parse("12"), Some(Grade::G12));
        assert_eq!(Grade::parse("13"), None);
        assert_eq!(Grade::parse("0"), None);
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.label()), Some(g));
        }
    }

    #[test]
    fn training_counts_from_its_day() {
        let e = Educator {
            id: EducatorId::new(),
            school_id: SchoolId::new(),
            display_name: "A".into(),
            role: EducatorRole::Teacher,
            training_date: Day::parse("2026-08-10"),
        };
        assert!(!e.is_trained_on(Day::parse("2026-08-09").unwrap()));
        assert!(e.is_trained_on(Day::parse("2026-08-10").unwrap()));
    }
}
