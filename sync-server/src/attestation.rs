//! What the relay records of a visit's attested fields (who recorded the outcome, who recorded
//! the family's agreement, who confirmed): the records' types, apart from the rules that judge a
//! received visit log (`attest.rs`), so the storage layer (`backend.rs`) can name them without
//! depending on the rules.

use homevisit_model::{EducatorId, FamilyId, VisitId, VisitLog};

/// One of a visit log's attested fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attested {
    /// `VisitOutcome::recorded_by`.
    OutcomeRecordedBy,
    /// `VisitPlan::family_agreement.recorded_by`.
    FamilyAgreement,
    /// `VisitOutcome::partner_confirmation.educator_id`.
    PartnerConfirmation,
    /// `VisitOutcome::coordinator_confirmation`: names no educator; its row names the coordinator's
    /// device (a visit by one educator with an interpreter; see [`judge_coordinator_confirmation`]).
    CoordinatorConfirmation,
}

impl Attested {
    /// The fields that name an educator (compared by [`judge_visit_log`]).
    pub const ALL: [Attested; 3] = [Self::OutcomeRecordedBy, Self::FamilyAgreement, Self::PartnerConfirmation];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OutcomeRecordedBy => "outcome_recorded_by",
            Self::FamilyAgreement => "family_agreement",
            Self::PartnerConfirmation => "partner_confirmation",
            Self::CoordinatorConfirmation => "coordinator_confirmation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().chain([Self::CoordinatorConfirmation]).find(|a| a.as_str() == s)
    }

    /// The educator the field names in `log`, if set.
    pub fn value(self, log: &VisitLog) -> Option<EducatorId> {
        match self {
            Self::OutcomeRecordedBy => log.outcome.recorded_by,
            Self::FamilyAgreement => log.plan.family_agreement.as_ref().map(|a| a.recorded_by),
            Self::PartnerConfirmation => log.outcome.partner_confirmation.as_ref().map(|c| c.educator_id),
            Self::CoordinatorConfirmation => None,
        }
    }
}

/// Who gave an attested value: the writing device, or a source that is not a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Device,
    /// An administrator's import (`Relay::import_with`).
    Import,
    /// Held by a visit stored before the relay kept attestations.
    Before,
}

/// The `device_id` recorded for an administrator's import.
pub const IMPORT: &str = "import";
/// The `device_id` recorded for values a visit held before the relay kept attestations.
pub const BEFORE: &str = "before-attestation";

/// One recorded value of an attested field, as the relay keeps it (ids and relay time only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    pub visit: VisitId,
    pub what: Attested,
    /// `None`: the field was cleared.
    pub educator: Option<EducatorId>,
    /// The writing device's id, or [`IMPORT`] / [`BEFORE`].
    pub device: String,
    /// The relay's clock when it stored the change (RFC 3339, UTC).
    pub at: String,
}

/// What the relay records after storing a change it accepted, in the same transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    Attest {
        visit: VisitId,
        what: Attested,
        educator: Option<EducatorId>,
        source: Source,
    },
    /// The family declined this visit (first recorded; see `consent`).
    Decline {
        family: FamilyId,
        visit: VisitId,
    },
    /// A coordinator's device recorded the family's renewed agreement, lifting these declines.
    Lift {
        family: FamilyId,
        visits: Vec<VisitId>,
    },
}

/// The `device_id` a row records: the writing device's, or the source's name.
pub(crate) fn source_name(source: Source, device: &str) -> &str {
    match source {
        Source::Device => device,
        Source::Import => IMPORT,
        Source::Before => BEFORE,
    }
}

/// The relay's clock, as attestations record it.
pub(crate) fn relay_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
