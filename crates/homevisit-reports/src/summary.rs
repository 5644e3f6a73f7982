//! One line per school of what a coordinator looks at first (reach, staff participation, first
//! and second visits), from [`crate::reach`] and [`crate::participation`]: what the device CLI's
//! `report` and a coordinator's phone show.

use homevisit_model::SchoolId;
use serde::Serialize;

use crate::participation::{family_visits, staff_participation};
use crate::reach::reach;
use crate::{Period, Ratio, ReportData};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchoolSummary {
    pub school_id: SchoolId,
    pub school_name: String,
    /// Students of families with a completed visit ÷ students on the roster.
    pub students: Ratio,
    pub reach_meets_threshold: bool,
    /// Educators on a completed visit ÷ educators on the roster.
    pub staff: Ratio,
    pub staff_meets_threshold: bool,
    pub families: u32,
    pub families_with_first: u32,
    pub families_with_second: u32,
}

/// Per school, in `data.schools` order.
pub fn school_summaries(data: &ReportData, period: &Period) -> Vec<SchoolSummary> {
    let staff = staff_participation(data, period);
    let families = family_visits(data, period);
    reach(data, period)
        .into_iter()
        .zip(staff)
        .zip(families)
        .map(|((r, s), f)| SchoolSummary {
            school_id: r.school_id,
            school_name: r.school_name,
            students: r.students,
            reach_meets_threshold: r.meets_threshold,
            staff: s.educators,
            staff_meets_threshold: s.meets_threshold,
            families: f.families,
            families_with_first: f.with_first,
            families_with_second: f.with_second,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use homevisit_model::{Grade, VisitNumber, VisitStatus};

    use super::*;
    use crate::test_support::{Roster, period};

    #[test]
    fn one_line_per_school_from_the_reports_it_combines() {
        let mut r = Roster::default();
        let adams = r.school("Adams");
        let lincoln = r.school("Lincoln");
        let a = r.educator(lincoln, "Ana", Some("2026-08-01"));
        let b = r.educator(lincoln, "Ben", Some("2026-08-01"));
        r.educator(adams, "Cy", None);
        let f = r.family(lincoln, "Garcia", &[(Grade::K, &[]), (Grade::G2, &[])]);
        r.family(lincoln, "Lee", &[(Grade::K, &[])]);
        r.family(adams, "Okafor", &[(Grade::K, &[])]);
        r.completed(f, &[a, b], "2026-09-10T16:00:00Z");
        r.visit(f, &[a, b], VisitNumber::Second, VisitStatus::Completed, "2027-02-10T16:00:00Z");
        let got = school_summaries(&r.data, &period("2026-07-01", "2027-06-30"));
        assert_eq!(got.len(), 2);
        let l = &got[1];
        assert_eq!(
            (l.school_id, l.students, l.staff),
            (lincoln, Ratio { part: 2, whole: 3 }, Ratio { part: 2, whole: 2 })
        );
        assert!(l.reach_meets_threshold && l.staff_meets_threshold);
        assert_eq!((l.families, l.families_with_first, l.families_with_second), (2, 1, 1));
        let a = &got[0];
        assert_eq!(
            (a.school_id, a.students, a.staff),
            (adams, Ratio { part: 0, whole: 1 }, Ratio { part: 0, whole: 1 })
        );
        assert!(!a.reach_meets_threshold && !a.staff_meets_threshold);
    }
}
