//! Fidelity to the five core practices, over a school's completed visits in a period: made in
//! pairs (two or more adults, the second may be a separate interpreter), the family's agreement
//! recorded before the visit, the debrief done, an educator trained on the visit's day (an
//! untrained educator goes only with a trained partner), and reach spread across grades and
//! classes rather than concentrated.

use homevisit_model::SchoolId;
use serde::Serialize;

use crate::{Period, Ratio, ReportData};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fidelity {
    pub school_id: SchoolId,
    pub school_name: String,
    /// Each ratio's whole is the school's completed visits in the period.
    pub in_pairs: Ratio,
    pub agreement_before: Ratio,
    pub debriefed: Ratio,
    pub trained_or_paired: Ratio,
    /// Students visited ÷ enrolled, per grade (every grade on the roster, in grade order).
    pub by_grade: Vec<Spread>,
    /// The same per class (every class on the roster, by name).
    pub by_class: Vec<Spread>,
    /// Grades with at least one student visited ÷ grades on the roster.
    pub grades_reached: Ratio,
    /// The largest share of visited students any one grade holds (100 when all are in one grade).
    pub largest_grade_share_percent: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub label: String,
    pub students: Ratio,
}

pub fn fidelity(data: &ReportData, period: &Period) -> Vec<Fidelity> {
    let _ = (data, period);
    todo!()
}
