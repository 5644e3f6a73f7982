//! Reach: students whose families were visited ÷ students enrolled, per school, against the 10%
//! threshold the research names, and its trend through the year.

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use homevisit_model::{SchoolId, Timestamp};
use serde::Serialize;

use crate::select::{count, families_of, students, visited_families};
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
    let visited = visited_families(data, period);
    data.schools
        .iter()
        .map(|school| {
            let students = students(families_of(data, school.id), &visited);
            let families = Ratio {
                part: count(families_of(data, school.id).filter(|f| visited.contains(&f.id)).count()),
                whole: count(families_of(data, school.id).count()),
            };
            SchoolReach {
                school_id: school.id,
                school_name: school.name.clone(),
                students,
                families,
                meets_threshold: students.meets(REACH_THRESHOLD_PERCENT),
            }
        })
        .collect()
}

/// `school`'s reach month by month through `period` (months in UTC).
pub fn reach_trend(data: &ReportData, school: SchoolId, period: &Period) -> Vec<ReachPoint> {
    let mut points = Vec::new();
    let mut month = first_of_month(period.start.0.date_naive());
    while let Some(next) = month.checked_add_months(chrono::Months::new(1)) {
        let month_start = Timestamp(Utc.from_utc_datetime(&month.and_time(chrono::NaiveTime::MIN)));
        if month_start >= period.end {
            break;
        }
        let month_end = Timestamp(Utc.from_utc_datetime(&next.and_time(chrono::NaiveTime::MIN)));
        let so_far = Period { start: period.start, end: month_end.min(period.end) };
        let visited = visited_families(data, &so_far);
        points.push(ReachPoint {
            month: format!("{:04}-{:02}", month.year(), month.month()),
            students: students(families_of(data, school), &visited),
        });
        month = next;
    }
    points
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use homevisit_model::{Grade, VisitNumber, VisitStatus};

    use super::*;
    use crate::test_support::{Roster, period};

    /// A school of `n` one-student families, the first `visited` of them visited (completed) in
    /// September.
    fn school_with(n: usize, visited: usize) -> (Roster, SchoolId) {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        for i in 0..n {
            let f = r.family(s, &format!("Family {i}"), &[(Grade::G1, &[])]);
            if i < visited {
                r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
            }
        }
        (r, s)
    }

    #[test]
    fn ten_percent_meets_the_threshold_and_just_under_does_not() {
        let p = period("2026-07-01", "2027-06-30");
        let (r, _) = school_with(10, 1);
        let got = reach(&r.data, &p);
        assert_eq!(got[0].students, Ratio { part: 1, whole: 10 });
        assert!(got[0].meets_threshold);
        let (r, _) = school_with(11, 1);
        let got = reach(&r.data, &p);
        assert_eq!(got[0].students, Ratio { part: 1, whole: 11 });
        assert!(!got[0].meets_threshold);
        let (r, _) = school_with(0, 0);
        assert!(!reach(&r.data, &p)[0].meets_threshold, "an empty roster meets nothing");
    }

    #[test]
    fn counts_students_of_visited_families_once_and_only_completed_visits_in_the_period() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let siblings = r.family(s, "Garcia", &[(Grade::K, &[]), (Grade::G3, &[])]);
        let not_home = r.family(s, "Lee", &[(Grade::G1, &[])]);
        let cancelled = r.family(s, "Okafor", &[(Grade::G1, &[])]);
        let before = r.family(s, "Smith", &[(Grade::G2, &[])]);
        r.completed(siblings, &[a, b], "2026-09-10T16:00:00Z");
        r.visit(siblings, &[a, b], VisitNumber::Second, VisitStatus::Completed, "2027-02-10T16:00:00Z");
        r.visit(not_home, &[a, b], VisitNumber::First, VisitStatus::FamilyNotHome, "2026-09-11T16:00:00Z");
        r.visit(cancelled, &[a, b], VisitNumber::First, VisitStatus::Cancelled, "2026-09-12T16:00:00Z");
        r.completed(before, &[a, b], "2026-06-30T23:59:59Z");
        let got = reach(&r.data, &period("2026-07-01", "2027-06-30"));
        assert_eq!(got[0].students, Ratio { part: 2, whole: 5 });
        assert_eq!(got[0].families, Ratio { part: 1, whole: 4 });
    }

    #[test]
    fn a_family_counts_for_the_school_of_its_record() {
        let mut r = Roster::default();
        let lincoln = r.school("Lincoln");
        let adams = r.school("Adams");
        let a = r.educator(lincoln, "Ana", Some("2026-08-01"));
        let b = r.educator(lincoln, "Ben", Some("2026-08-01"));
        let f = r.family(adams, "Garcia", &[(Grade::K, &[])]);
        r.family(lincoln, "Lee", &[(Grade::K, &[])]);
        let v = r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        r.log_mut(v).plan.school_id = lincoln;
        let got = reach(&r.data, &period("2026-07-01", "2027-06-30"));
        assert_eq!((got[0].school_id, got[0].students), (lincoln, Ratio { part: 0, whole: 1 }));
        assert_eq!((got[1].school_id, got[1].students), (adams, Ratio { part: 1, whole: 1 }));
    }

    #[test]
    fn the_trend_is_cumulative_by_month_and_stops_at_the_period() {
        let mut r = Roster::default();
        let s = r.school("Lincoln");
        let a = r.educator(s, "Ana", Some("2026-08-01"));
        let b = r.educator(s, "Ben", Some("2026-08-01"));
        let f1 = r.family(s, "Garcia", &[(Grade::K, &[])]);
        let f2 = r.family(s, "Lee", &[(Grade::K, &[])]);
        r.family(s, "Okafor", &[(Grade::K, &[])]);
        r.completed(f1, &[a, b], "2026-08-31T23:00:00Z");
        r.completed(f2, &[a, b], "2026-10-01T00:00:00Z");
        let got = reach_trend(&r.data, s, &period("2026-08-15", "2026-10-20"));
        let months: Vec<_> = got.iter().map(|p| (p.month.as_str(), p.students.part)).collect();
        assert_eq!(months, [("2026-08", 1), ("2026-09", 1), ("2026-10", 2)]);
        assert!(got.iter().all(|p| p.students.whole == 3));
    }
}
