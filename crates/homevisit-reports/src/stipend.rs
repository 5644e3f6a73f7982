//! Stipends per pay period: per educator, completed and partner-confirmed visits, whether their
//! training is valid, the amount at the district's rate, and the coordinator's "paid" mark.

use std::collections::BTreeSet;

use homevisit_model::{EducatorId, SchoolId};
use serde::Serialize;

use crate::{Period, ReportData};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StipendRow {
    pub educator_id: EducatorId,
    pub school_id: SchoolId,
    pub display_name: String,
    /// Completed visits scheduled in the period.
    pub completed: u32,
    /// Of those, documented: timed and confirmed by the partner (or, for a visit by one educator
    /// with an interpreter, the coordinator). What is paid.
    pub partner_confirmed: u32,
    /// Trained on or before every paid visit's day.
    pub training_valid: bool,
    /// `partner_confirmed` × the rate, in cents.
    pub amount_cents: u64,
    pub paid: bool,
}

/// One row per educator of the data's schools with a completed visit in the period, by school
/// then name. `paid`: the educators the coordinator marked paid for this period.
pub fn stipends(data: &ReportData, period: &Period, rate_cents: u64, paid: &BTreeSet<EducatorId>) -> Vec<StipendRow> {
    let _ = (data, period, rate_cents, paid);
    todo!()
}
