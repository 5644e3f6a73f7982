//! Safety: two educators in a family's home past the end they expected, with no outcome recorded,
//! is worth a call.

use homevisit_model::{EducatorId, FamilyId, SchoolId, Timestamp, VisitId, VisitStatus};
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
    let window_start = now.0 - chrono::TimeDelta::hours(OVERRUN_WINDOW_HOURS);
    let mut flagged: Vec<Overrun> = data
        .visits
        .iter()
        .filter(|v| matches!(v.outcome.status, VisitStatus::Planned | VisitStatus::Confirmed))
        .filter_map(|v| {
            let end = v.plan.expected_end?;
            (window_start <= end.0 && end < now).then(|| Overrun {
                visit_id: v.plan.id,
                school_id: v.plan.school_id,
                family_id: v.plan.family_id,
                educator_ids: v.plan.educator_ids.clone(),
                scheduled_at: v.plan.scheduled_at,
                expected_end: end,
                minutes_over: (now.0 - end.0).num_minutes(),
            })
        })
        .collect();
    // The earliest expected end is the longest over.
    flagged.sort_by(|a, b| a.expected_end.cmp(&b.expected_end).then(a.visit_id.cmp(&b.visit_id)));
    flagged
}

#[cfg(test)]
mod tests {
    use homevisit_model::{Grade, VisitNumber};

    use super::*;
    use crate::test_support::{Roster, at};

    #[test]
    fn flags_only_open_visits_past_their_end_within_the_window() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        let now = at("2026-09-11T12:00:00Z");
        let planned = |r: &mut Roster, status, end: &str| {
            let v = r.visit(f, &[a, b], VisitNumber::First, status, "2026-09-10T10:00:00Z");
            r.log_mut(v).plan.expected_end = Some(at(end));
            v
        };
        let just_inside = planned(&mut r, VisitStatus::Confirmed, "2026-09-10T12:00:00Z");
        let recent = planned(&mut r, VisitStatus::Planned, "2026-09-11T11:30:00Z");
        planned(&mut r, VisitStatus::Confirmed, "2026-09-10T11:59:59.999Z");
        planned(&mut r, VisitStatus::Confirmed, "2026-09-11T12:00:00Z");
        planned(&mut r, VisitStatus::Completed, "2026-09-11T11:00:00Z");
        planned(&mut r, VisitStatus::Cancelled, "2026-09-11T11:00:00Z");
        let no_end = planned(&mut r, VisitStatus::Confirmed, "2026-09-11T11:00:00Z");
        r.log_mut(no_end).plan.expected_end = None;
        let got = overruns(&r.data, now);
        let ids: Vec<_> = got.iter().map(|o| (o.visit_id, o.minutes_over)).collect();
        assert_eq!(ids, [(just_inside, 24 * 60), (recent, 30)]);
        assert_eq!(got[0].educator_ids, [a, b]);
    }
}
