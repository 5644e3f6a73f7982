//! Safety: two educators in a family's home past the end they expected, with no outcome recorded,
//! is worth a call.

use homevisit_model::{EducatorId, FamilyId, SchoolId, Timestamp, VisitId};
use serde::Serialize;

use crate::ReportData;

/// A visit past its expected end further back than this is no longer a safety question but a
/// missing outcome (listed in the visit log, not flagged).
pub const OVERRUN_WINDOW_HOURS: i64 = 24;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Overrun {
    pub visit_id: VisitId,
    pub school_id: SchoolId,
    pub family_id: FamilyId,
    pub educator_ids: Vec<EducatorId>,
    pub scheduled_at: Timestamp,
    pub expected_end: Timestamp,
    pub minutes_over: i64,
}

/// Visits whose expected end passed within [`OVERRUN_WINDOW_HOURS`] of `now` and whose status is
/// still planned or confirmed (no outcome recorded), longest over first.
pub fn overruns(data: &ReportData, now: Timestamp) -> Vec<Overrun> {
    let _ = (data, now);
    todo!()
}
