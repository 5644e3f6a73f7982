//! Staff participation (educators who made at least one visit ÷ staff on the roster, against
//! 50%), visits per educator, and first and second visits per family.

use std::collections::BTreeSet;

use homevisit_model::{EducatorId, SchoolId, VisitNumber, VisitStatus};
use serde::Serialize;

use crate::select::{completed_in, count, educators_of, families_of, scheduled_in};
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
    let visiting: BTreeSet<EducatorId> =
        completed_in(data, period).flat_map(|v| v.plan.educator_ids.iter().copied()).collect();
    data.schools
        .iter()
        .map(|school| {
            let educators = Ratio {
                part: count(educators_of(data, school.id).filter(|e| visiting.contains(&e.id)).count()),
                whole: count(educators_of(data, school.id).count()),
            };
            StaffParticipation {
                school_id: school.id,
                school_name: school.name.clone(),
                educators,
                meets_threshold: educators.meets(STAFF_THRESHOLD_PERCENT),
            }
        })
        .collect()
}

/// Every educator on the roster, most completed visits first (districts honour "champions").
/// `first_visits` and `second_visits` count completed ones. Ties by name, then id.
pub fn educator_visits(data: &ReportData, period: &Period) -> Vec<EducatorVisits> {
    let last_day = period.last_day();
    let mut rows: Vec<EducatorVisits> = data
        .educators
        .iter()
        .map(|e| {
            let mut row = EducatorVisits {
                educator_id: e.id,
                school_id: e.school_id,
                display_name: e.display_name.clone(),
                visits: 0,
                completed: 0,
                documented: 0,
                first_visits: 0,
                second_visits: 0,
                trained: e.is_trained_on(last_day),
            };
            for v in scheduled_in(data, period).filter(|v| v.plan.educator_ids.contains(&e.id)) {
                row.visits += 1;
                if v.outcome.status != VisitStatus::Completed {
                    continue;
                }
                row.completed += 1;
                row.documented += u32::from(v.is_documented());
                match v.plan.visit_number {
                    VisitNumber::First => row.first_visits += 1,
                    VisitNumber::Second => row.second_visits += 1,
                }
            }
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        b.completed
            .cmp(&a.completed)
            .then_with(|| a.display_name.cmp(&b.display_name))
            .then(a.educator_id.cmp(&b.educator_id))
    });
    rows
}

/// Per school (in `data.schools` order), its families and how many had a completed first and a
/// completed second visit in the period.
pub fn family_visits(data: &ReportData, period: &Period) -> Vec<FamilyVisits> {
    let with = |number: VisitNumber| -> BTreeSet<_> {
        completed_in(data, period).filter(|v| v.plan.visit_number == number).map(|v| v.plan.family_id).collect()
    };
    let (first, second) = (with(VisitNumber::First), with(VisitNumber::Second));
    data.schools
        .iter()
        .map(|school| FamilyVisits {
            school_id: school.id,
            families: count(families_of(data, school.id).count()),
            with_first: count(families_of(data, school.id).filter(|f| first.contains(&f.id)).count()),
            with_second: count(families_of(data, school.id).filter(|f| second.contains(&f.id)).count()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use homevisit_model::Grade;

    use super::*;
    use crate::test_support::{Roster, period};

    #[test]
    fn half_the_staff_meets_the_threshold_and_just_under_does_not() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        r.educator(s, "Cy", None);
        r.educator(s, "Di", None);
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        let p = period("2026-07-01", "2027-06-30");
        let got = staff_participation(&r.data, &p);
        assert_eq!(got[0].educators, Ratio { part: 2, whole: 4 });
        assert!(got[0].meets_threshold);
        r.educator(s, "Ed", None);
        let got = staff_participation(&r.data, &p);
        assert_eq!(got[0].educators, Ratio { part: 2, whole: 5 });
        assert!(!got[0].meets_threshold);
    }

    #[test]
    fn only_completed_visits_in_the_period_make_an_educator_take_part() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let c = r.educator(s, "Cy", Some("2026-08-01"));
        let d = r.educator(s, "Di", Some("2026-08-01"));
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        r.visit(f, &[a, b], VisitNumber::First, VisitStatus::Cancelled, "2026-09-10T16:00:00Z");
        r.visit(f, &[a, b], VisitNumber::First, VisitStatus::FamilyNotHome, "2026-09-11T16:00:00Z");
        r.completed(f, &[c, d], "2027-07-01T00:00:00Z");
        let got = staff_participation(&r.data, &period("2026-07-01", "2027-06-30"));
        assert_eq!(got[0].educators, Ratio { part: 0, whole: 4 });
    }

    #[test]
    fn visits_per_educator_count_statuses_numbers_and_documentation() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2027-08-01"));
        let idle = r.educator(s, "Aaron", None);
        let f = r.family(s, "Garcia", &[(Grade::K, &[])]);
        r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        r.visit(f, &[a, b], VisitNumber::Second, VisitStatus::Completed, "2027-02-10T16:00:00Z");
        r.visit(f, &[a], VisitNumber::Second, VisitStatus::Cancelled, "2027-02-01T16:00:00Z");
        let alone = r.completed(f, &[a], "2026-10-10T16:00:00Z");
        r.with_separate_interpreter(alone);
        r.completed(f, &[a, b], "2027-07-01T00:00:00Z");
        let got = educator_visits(&r.data, &period("2026-07-01", "2027-06-30"));
        let ids: Vec<_> = got.iter().map(|e| e.educator_id).collect();
        assert_eq!(ids, [a, b, idle], "most completed first, then by name");
        let ana = &got[0];
        assert_eq!((ana.visits, ana.completed, ana.first_visits, ana.second_visits), (4, 3, 2, 1));
        assert_eq!(ana.documented, 2, "the visit alone has no coordinator's confirmation yet");
        assert!(ana.trained);
        assert!(!got[1].trained, "trained after the period");
        assert_eq!((got[2].visits, got[2].completed), (0, 0));
    }

    #[test]
    fn first_and_second_visits_per_family() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let both = r.family(s, "Garcia", &[(Grade::K, &[])]);
        let first_only = r.family(s, "Lee", &[(Grade::K, &[])]);
        let second_not_home = r.family(s, "Okafor", &[(Grade::K, &[])]);
        r.completed(both, &[a, b], "2026-09-10T16:00:00Z");
        r.visit(both, &[a, b], VisitNumber::Second, VisitStatus::Completed, "2027-02-10T16:00:00Z");
        r.completed(first_only, &[a, b], "2026-09-11T16:00:00Z");
        r.completed(second_not_home, &[a, b], "2026-09-12T16:00:00Z");
        r.visit(second_not_home, &[a, b], VisitNumber::Second, VisitStatus::FamilyNotHome, "2027-02-12T16:00:00Z");
        let got = family_visits(&r.data, &period("2026-07-01", "2027-06-30"));
        assert_eq!((got[0].families, got[0].with_first, got[0].with_second), (3, 3, 1));
        let got = family_visits(&r.data, &period("2027-01-01", "2027-06-30"));
        assert_eq!((got[0].with_first, got[0].with_second), (0, 1));
    }
}
