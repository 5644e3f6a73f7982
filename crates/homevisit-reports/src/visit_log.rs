//! The visit log a coordinator reads: filtered by dates, educator, status and visit number.

use homevisit_model::{EducatorId, FamilyId, SchoolId, Timestamp, VisitId, VisitNumber, VisitStatus};
use serde::Serialize;

use crate::{Period, ReportData};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VisitFilter {
    pub period: Option<Period>,
    pub educator: Option<EducatorId>,
    pub status: Option<VisitStatus>,
    pub visit_number: Option<VisitNumber>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VisitRow {
    pub visit_id: VisitId,
    pub school_id: SchoolId,
    pub family_id: FamilyId,
    /// The family's display name (`None` if its record is not in the data).
    pub family_name: Option<String>,
    pub educator_ids: Vec<EducatorId>,
    pub educator_names: Vec<String>,
    pub scheduled_at: Timestamp,
    pub visit_number: VisitNumber,
    pub status: VisitStatus,
    pub place_kind: &'static str,
    pub interpreter: bool,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub duration_minutes: Option<i64>,
    pub agreement_recorded: bool,
    pub documented: bool,
    pub debriefed: bool,
}

/// The visits matching `filter`, latest scheduled first.
pub fn visit_rows(data: &ReportData, filter: &VisitFilter) -> Vec<VisitRow> {
    let _ = (data, filter);
    todo!()
}
