//! Reach: students whose families were visited ÷ students enrolled, per school, against the 10%
//! threshold the research names, and its trend through the year.

use homevisit_model::SchoolId;
use serde::Serialize;

use crate::{Period, Ratio, ReportData};

/// Schools visiting at least this share of their students saw less chronic absence and better
/// reading (the research the programme cites).
pub const REACH_THRESHOLD_PERCENT: f64 = 10.0;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchoolReach {
    pub school_id: SchoolId,
    pub school_name: String,
    /// Students of families with a completed visit in the period ÷ students on the roster.
    pub students: Ratio,
    /// Families with a completed visit in the period ÷ families on the roster.
    pub families: Ratio,
    pub meets_threshold: bool,
}

/// One month of a school's reach: students reached by the end of that month (cumulative from the
/// period's start).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReachPoint {
    /// `YYYY-MM`.
    pub month: String,
    pub students: Ratio,
}

/// Reach per school, in `data.schools` order.
pub fn reach(data: &ReportData, period: &Period) -> Vec<SchoolReach> {
    let _ = (data, period);
    todo!()
}

/// `school`'s reach month by month through `period` (months in UTC).
pub fn reach_trend(data: &ReportData, school: SchoolId, period: &Period) -> Vec<ReachPoint> {
    let _ = (data, school, period);
    todo!()
}
