//! Staff participation (educators who made at least one visit ÷ staff on the roster, against
//! 50%), visits per educator, and first and second visits per family.

use homevisit_model::{EducatorId, SchoolId};
use serde::Serialize;

use crate::{Period, Ratio, ReportData};

/// The share of staff a school aims to have take part.
pub const STAFF_THRESHOLD_PERCENT: f64 = 50.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StaffParticipation {
    pub school_id: SchoolId,
    pub school_name: String,
    /// Educators on at least one completed visit in the period ÷ educators on the roster.
    pub educators: Ratio,
    pub meets_threshold: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EducatorVisits {
    pub educator_id: EducatorId,
    pub school_id: SchoolId,
    pub display_name: String,
    /// Visits scheduled in the period with this educator on them, whatever their status.
    pub visits: u32,
    pub completed: u32,
    /// Completed, timed and confirmed ([`homevisit_model::VisitLog::is_documented`]).
    pub documented: u32,
    pub first_visits: u32,
    pub second_visits: u32,
    /// Trained by the period's last day.
    pub trained: bool,
}

/// First and second visits per family, per school.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FamilyVisits {
    pub school_id: SchoolId,
    pub families: u32,
    /// Families with a completed first visit in the period.
    pub with_first: u32,
    /// Families with a completed second visit in the period.
    pub with_second: u32,
}

pub fn staff_participation(data: &ReportData, period: &Period) -> Vec<StaffParticipation> {
    let _ = (data, period);
    todo!()
}

/// Every educator on the roster, most completed visits first (districts honour "champions").
pub fn educator_visits(data: &ReportData, period: &Period) -> Vec<EducatorVisits> {
    let _ = (data, period);
    todo!()
}

pub fn family_visits(data: &ReportData, period: &Period) -> Vec<FamilyVisits> {
    let _ = (data, period);
    todo!()
}
