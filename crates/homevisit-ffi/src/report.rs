//! A coordinator's report as the phone shows it: UniFFI records over `homevisit-reports`' per
//! school summary and visits per educator (the same functions as the relay's dashboard and the
//! device CLI), and the reading of the days it covers.

use chrono::FixedOffset;
use homevisit_model as model;
use homevisit_reports::participation::{EducatorVisits, educator_visits};
use homevisit_reports::summary::{SchoolSummary, school_summaries};
use homevisit_reports::{Period, ReportData};

use crate::error::HomevisitError;

/// Reach, staff participation and visits per educator over the days `from_day` to `to_day`.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct CoordinatorReport {
    /// YYYY-MM-DD, as asked.
    pub from_day: String,
    pub to_day: String,
    /// Schools by name.
    pub schools: Vec<SchoolReport>,
    /// Every educator on the roster, most completed visits first.
    pub educators: Vec<EducatorReport>,
}

#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SchoolReport {
    pub school_id: String,
    pub name: String,
    /// Students of families with a completed visit in the period.
    pub students_visited: u32,
    pub students_enrolled: u32,
    /// 0 to 100 (0 when no student is enrolled).
    pub reach_percent: f64,
    /// At least 10% of students reached (the threshold the research names).
    pub meets_reach_threshold: bool,
    /// Educators on at least one completed visit in the period.
    pub staff_participating: u32,
    pub staff_on_roster: u32,
    pub staff_percent: f64,
    /// At least 50% of staff took part.
    pub meets_staff_threshold: bool,
    pub families_with_first_visit: u32,
    pub families_with_second_visit: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct EducatorReport {
    pub educator_id: String,
    pub display_name: String,
    pub school_id: String,
    /// Visits scheduled in the period with this educator, whatever their status.
    pub visits: u32,
    pub completed: u32,
    /// Completed, timed and confirmed: what a stipend is paid on.
    pub documented: u32,
    /// Completed first and second visits.
    pub first_visits: u32,
    pub second_visits: u32,
    /// Trained by the period's last day.
    pub trained: bool,
}

/// The days `from_day` to `to_day` (YYYY-MM-DD, both included) in UTC.
pub(crate) fn report_period(from_day: &str, to_day: &str) -> Result<Period, HomevisitError> {
    let day = |d: &str, what: &str| {
        model::Day::parse(d.trim()).ok_or_else(|| HomevisitError::invalid(format!("{what} must be YYYY-MM-DD")))
    };
    let (from, to) = (day(from_day, "the first day")?, day(to_day, "the last day")?);
    if from > to {
        return Err(HomevisitError::invalid("the first day is after the last day"));
    }
    let utc = FixedOffset::east_opt(0).expect("UTC is an offset");
    Period::try_days(from, to, utc).ok_or_else(|| HomevisitError::invalid("the days are out of range"))
}

impl CoordinatorReport {
    pub(crate) fn of(data: &ReportData, period: &Period) -> CoordinatorReport {
        CoordinatorReport {
            from_day: period.first_day().to_string(),
            to_day: period.last_day().to_string(),
            schools: school_summaries(data, period).into_iter().map(Into::into).collect(),
            educators: educator_visits(data, period).into_iter().map(Into::into).collect(),
        }
    }
}

impl From<SchoolSummary> for SchoolReport {
    fn from(s: SchoolSummary) -> Self {
        SchoolReport {
            school_id: s.school_id.to_string(),
            name: s.school_name,
            students_visited: s.students.part,
            students_enrolled: s.students.whole,
            reach_percent: s.students.percent(),
            meets_reach_threshold: s.reach_meets_threshold,
            staff_participating: s.staff.part,
            staff_on_roster: s.staff.whole,
            staff_percent: s.staff.percent(),
            meets_staff_threshold: s.staff_meets_threshold,
            families_with_first_visit: s.families_with_first,
            families_with_second_visit: s.families_with_second,
        }
    }
}

impl From<EducatorVisits> for EducatorReport {
    fn from(e: EducatorVisits) -> Self {
        EducatorReport {
            educator_id: e.educator_id.to_string(),
            display_name: e.display_name,
            school_id: e.school_id.to_string(),
            visits: e.visits,
            completed: e.completed,
            documented: e.documented,
            first_visits: e.first_visits,
            second_visits: e.second_visits,
            trained: e.trained,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_read_strictly_and_in_order() {
        let p = report_period("2026-07-01", " 2026-12-05 ").unwrap();
        assert_eq!((p.first_day().to_string(), p.last_day().to_string()), ("2026-07-01".into(), "2026-12-05".into()));
        assert_eq!(report_period("2026-12-05", "2026-12-05").unwrap().last_day().to_string(), "2026-12-05");
        for (from, to) in
            [("2026-13-01", "2026-12-05"), ("2026-07-01", "tomorrow"), ("", ""), ("2026-12-06", "2026-12-05")]
        {
            assert!(matches!(report_period(from, to), Err(HomevisitError::Invalid { .. })), "{from} {to}");
        }
        // The calendar's last day has no end to count to: refused, not a panic.
        let last = chrono::NaiveDate::MAX.format("%Y-%m-%d").to_string();
        assert!(matches!(report_period("2026-07-01", &last), Err(HomevisitError::Invalid { .. })), "{last}");
    }
}
