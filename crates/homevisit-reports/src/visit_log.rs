//! The visit log a coordinator reads: filtered by dates, educator, status and visit number.

use homevisit_model::{EducatorId, FamilyId, SchoolId, Timestamp, VisitId, VisitNumber, VisitStatus};
use serde::Serialize;

use crate::select::educators_by_id;
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

/// The visits matching `filter`, latest scheduled first. An educator not on the roster is named
/// by id.
pub fn visit_rows(data: &ReportData, filter: &VisitFilter) -> Vec<VisitRow> {
    let educators = educators_by_id(data);
    let mut rows: Vec<VisitRow> = data
        .visits
        .iter()
        .filter(|v| filter.period.is_none_or(|p| p.contains(v.plan.scheduled_at)))
        .filter(|v| filter.educator.is_none_or(|e| v.plan.educator_ids.contains(&e)))
        .filter(|v| filter.status.is_none_or(|s| v.outcome.status == s))
        .filter(|v| filter.visit_number.is_none_or(|n| v.plan.visit_number == n))
        .map(|v| VisitRow {
            visit_id: v.plan.id,
            school_id: v.plan.school_id,
            family_id: v.plan.family_id,
            family_name: data.families.iter().find(|f| f.id == v.plan.family_id).map(|f| f.display_name.clone()),
            educator_ids: v.plan.educator_ids.clone(),
            educator_names: v
                .plan
                .educator_ids
                .iter()
                .map(|id| educators.get(id).map_or_else(|| id.to_string(), |e| e.display_name.clone()))
                .collect(),
            scheduled_at: v.plan.scheduled_at,
            visit_number: v.plan.visit_number,
            status: v.outcome.status,
            place_kind: v.plan.place.kind(),
            interpreter: v.plan.interpreter.is_some(),
            started_at: v.outcome.started_at,
            ended_at: v.outcome.ended_at,
            duration_minutes: v.duration_minutes(),
            agreement_recorded: v.plan.family_agreement.is_some(),
            documented: v.is_documented(),
            debriefed: data.debriefed.contains(&v.plan.id),
        })
        .collect();
    rows.sort_by(|a, b| b.scheduled_at.cmp(&a.scheduled_at).then(a.visit_id.cmp(&b.visit_id)));
    rows
}

#[cfg(test)]
mod tests {
    use homevisit_model::{Grade, VisitNumber, VisitStatus};

    use super::*;
    use crate::test_support::{Roster, period};

    #[test]
    fn filters_and_orders_latest_first() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let c = r.educator(s, "Cy", Some("2026-08-01"));
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        let first = r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        let second = r.visit(f, &[a, c], VisitNumber::Second, VisitStatus::Completed, "2027-02-10T16:00:00Z");
        let cancelled = r.visit(f, &[b, c], VisitNumber::Second, VisitStatus::Cancelled, "2027-01-10T16:00:00Z");
        let outside = r.completed(f, &[a, b], "2027-07-01T00:00:00Z");
        r.data.debriefed.insert(first);
        let ids = |filter: VisitFilter| visit_rows(&r.data, &filter).iter().map(|v| v.visit_id).collect::<Vec<_>>();
        assert_eq!(ids(VisitFilter::default()), [outside, second, cancelled, first]);
        let year = Some(period("2026-07-01", "2027-06-30"));
        assert_eq!(ids(VisitFilter { period: year, ..Default::default() }), [second, cancelled, first]);
        assert_eq!(ids(VisitFilter { period: year, educator: Some(c), ..Default::default() }), [second, cancelled]);
        assert_eq!(
            ids(VisitFilter {
                status: Some(VisitStatus::Completed),
                visit_number: Some(VisitNumber::Second),
                ..Default::default()
            }),
            [second]
        );
        let rows = visit_rows(&r.data, &VisitFilter { period: year, ..Default::default() });
        let first_row = rows.last().unwrap();
        assert_eq!(first_row.family_name.as_deref(), Some("Garcia"));
        assert_eq!(first_row.educator_names, ["Ana", "Ben"]);
        assert_eq!(first_row.duration_minutes, Some(60));
        assert!(first_row.documented && first_row.debriefed && first_row.agreement_recorded);
        assert!(!rows[1].documented && !rows[1].debriefed);
    }
}
