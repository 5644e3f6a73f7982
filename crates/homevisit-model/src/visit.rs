//! A visit: the plan (who, where, when, with whose agreement) and the outcome log that coordinators
//! read to pay stipends and report reach.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::ids::{EducatorId, FamilyId, SchoolId, VisitId};
use crate::language::Language;
use crate::time::Timestamp;

/// Visit 1 (summer/early fall: relationship building) or visit 2 (winter/spring, optional).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum VisitNumber {
    First,
    Second,
}

impl VisitNumber {
    pub fn from_number(n: u8) -> Option<Self> {
        match n {
            1 => Some(Self::First),
            2 => Some(Self::Second),
            _ => None,
        }
    }
    pub fn number(&self) -> u8 {
        match self {
            Self::First => 1,
            Self::Second => 2,
        }
    }
}

/// Where the visit happens. A neutral place (park, library, community centre) is described so the
/// pair can find it; the family's address is never stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Place {
    Home,
    Neutral { description: String },
    Virtual,
}

impl Place {
    pub fn kind(&self) -> &'static str {
        match self {
            Place::Home => "home",
            Place::Neutral { .. } => "neutral",
            Place::Virtual => "virtual",
        }
    }
}

/// Whether interpretation is provided by one of the visiting educators or by a separate adult who
/// joins the visit (and so counts towards the two-or-three adults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum InterpreterKind {
    Educator,
    Separate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Interpreter {
    pub language: Language,
    pub kind: InterpreterKind,
}

/// The family said yes. Visits are voluntary: a visit is not confirmed without this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FamilyAgreement {
    pub agreed_at: Timestamp,
    pub recorded_by: EducatorId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct VisitPlan {
    pub id: VisitId,
    pub family_id: FamilyId,
    pub school_id: SchoolId,
    pub visit_number: VisitNumber,
    /// One to three visiting educators; with a separate interpreter, two or three adults in all.
    pub educator_ids: Vec<EducatorId>,
    pub interpreter: Option<Interpreter>,
    pub place: Place,
    pub scheduled_at: Timestamp,
    pub family_agreement: Option<FamilyAgreement>,
    /// Optional safety check-in: when the pair expects to be done.
    pub expected_end: Option<Timestamp>,
}

impl VisitPlan {
    /// A visit by one educator (with a separate interpreter, as the adult count requires): no
    /// partner confirms it; a school coordinator does.
    pub fn confirmed_by_coordinator(&self) -> bool {
        self.educator_ids.len() == 1
    }

    /// Adults going on the visit: the educators plus a separate interpreter.
    pub fn adults(&self) -> usize {
        let separate_interpreter = matches!(&self.interpreter, Some(i) if i.kind == InterpreterKind::Separate);
        self.educator_ids.len() + usize::from(separate_interpreter)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    Planned,
    /// The family confirmed the time.
    Confirmed,
    Completed,
    FamilyNotHome,
    Cancelled,
    Rescheduled,
    /// The family said no to this visit, or withdrew (core practice 1: visits are voluntary).
    /// Recorded on the visit's log by an educator's phone, offline if need be; the family is then
    /// not offered for planning until a coordinator records its renewed agreement
    /// ([`crate::Family::agreement_renewed`]).
    FamilyDeclined,
}

impl VisitStatus {
    pub const ALL: [VisitStatus; 7] = [
        Self::Planned,
        Self::Confirmed,
        Self::Completed,
        Self::FamilyNotHome,
        Self::Cancelled,
        Self::Rescheduled,
        Self::FamilyDeclined,
    ];

    /// Statuses that say the family agreed to the visit (it was confirmed or it happened): a visit
    /// log in one of them must carry the family's agreement ([`VisitPlan::family_agreement`]).
    pub fn needs_family_agreement(&self) -> bool {
        matches!(self, Self::Confirmed | Self::Completed)
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Confirmed => "confirmed",
            Self::Completed => "completed",
            Self::FamilyNotHome => "family_not_home",
            Self::Cancelled => "cancelled",
            Self::Rescheduled => "rescheduled",
            Self::FamilyDeclined => "family_declined",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The partner's confirmation that the visit happened: the proof a stipend is paid on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PartnerConfirmation {
    pub educator_id: EducatorId,
    pub confirmed_at: Timestamp,
}

/// A school coordinator's confirmation of a visit made by one educator with a separate interpreter:
/// there is no partner to confirm it (issue 11). Written by a coordinator's device, the only change
/// to a visit log a coordinator may make on the relay, which records the device that made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CoordinatorConfirmation {
    pub confirmed_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct VisitOutcome {
    pub status: VisitStatus,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// Who recorded the outcome; their partner confirms it.
    pub recorded_by: Option<EducatorId>,
    pub partner_confirmation: Option<PartnerConfirmation>,
    /// For a visit by one educator (with a separate interpreter): the coordinator confirms it
    /// instead of a partner. Missing in older documents: reads as `None`.
    #[autosurgeon(missing = "Option::default")]
    #[serde(default)]
    pub coordinator_confirmation: Option<CoordinatorConfirmation>,
}

impl VisitOutcome {
    pub fn planned() -> Self {
        Self {
            status: VisitStatus::Planned,
            started_at: None,
            ended_at: None,
            recorded_by: None,
            partner_confirmation: None,
            coordinator_confirmation: None,
        }
    }
}

/// What a coordinator may read about a visit: the plan and its outcome. Notes and the debrief live
/// in a separate document that belongs to the pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct VisitLog {
    pub plan: VisitPlan,
    pub outcome: VisitOutcome,
}

impl VisitLog {
    /// A completed visit with times and a partner's confirmation (for a visit by one educator
    /// with an interpreter, a coordinator's): what a stipend is paid on.
    pub fn is_documented(&self) -> bool {
        let confirmed = if self.plan.confirmed_by_coordinator() {
            self.outcome.coordinator_confirmation.is_some()
        } else {
            self.outcome.partner_confirmation.is_some()
        };
        self.outcome.status == VisitStatus::Completed
            && self.outcome.started_at.is_some()
            && self.outcome.ended_at.is_some()
            && confirmed
    }

    pub fn duration_minutes(&self) -> Option<i64> {
        match (self.outcome.started_at, self.outcome.ended_at) {
            (Some(s), Some(e)) => Some((e.0 - s.0).num_minutes()),
            _ => None,
        }
    }
}
