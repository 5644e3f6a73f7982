//! The inputs every report reads, and the small types they share.

use std::collections::BTreeSet;

use chrono::{FixedOffset, TimeZone};
use homevisit_model::{Day, Educator, Family, School, Timestamp, VisitId, VisitLog};
use serde::Serialize;

/// The records and visit logs a report covers: the schools a coordinator may see (one school for
/// a school's coordinator, every school for a district administrator), gathered by the caller
/// from its own storage. Reports never look past what is here.
#[derive(Clone, Debug, Default)]
pub struct ReportData {
    pub schools: Vec<School>,
    pub educators: Vec<Educator>,
    pub families: Vec<Family>,
    pub visits: Vec<VisitLog>,
    /// Visits whose pair marked their debrief done (the notes document's `debrief_done`; its text
    /// is never read for a report).
    pub debriefed: BTreeSet<VisitId>,
}

/// A span of time reports count over: visits *scheduled* in `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    /// The calendar days `from` to `to` (both included) in the time zone at `offset` (the
    /// district's). Panics only at the ends of chrono's calendar (year ±262142); days from input
    /// go through [`Period::try_days`].
    pub fn days(from: Day, to: Day, offset: FixedOffset) -> Period {
        Self::try_days(from, to, offset).expect("days within the calendar, the first not after the last")
    }

    /// [`Period::days`], or `None` when `from` is after `to` or a day's midnight at `offset` falls
    /// outside the calendar: how days typed by a person are read.
    pub fn try_days(from: Day, to: Day, offset: FixedOffset) -> Option<Period> {
        let at_midnight = |d: chrono::NaiveDate| {
            let local = d.and_hms_opt(0, 0, 0)?;
            Some(Timestamp(offset.from_local_datetime(&local).single()?.to_utc()))
        };
        if from > to {
            return None;
        }
        Some(Period { start: at_midnight(from.0)?, end: at_midnight(to.0.succ_opt()?)? })
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }

    /// The first day the period covers, in UTC.
    pub fn first_day(&self) -> Day {
        self.start.day_utc()
    }

    /// The last day the period covers, in UTC (the day of its last millisecond).
    pub fn last_day(&self) -> Day {
        Timestamp(self.end.0 - chrono::TimeDelta::milliseconds(1)).day_utc()
    }
}

/// `part` of `whole` (students visited of students enrolled, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ratio {
    pub part: u32,
    pub whole: u32,
}

impl Ratio {
    /// Percent, 0 when `whole` is 0.
    pub fn percent(&self) -> f64 {
        if self.whole == 0 { 0.0 } else { 100.0 * f64::from(self.part) / f64::from(self.whole) }
    }

    /// At least `threshold_percent` of a whole that is not empty (compared without dividing, so
    /// 1 of 10 meets 10% exactly).
    pub fn meets(&self, threshold_percent: f64) -> bool {
        self.whole > 0 && 100.0 * f64::from(self.part) >= threshold_percent * f64::from(self.whole)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn a_period_of_days_covers_them_whole_in_the_districts_zone() {
        let pacific = FixedOffset::west_opt(8 * 3600).unwrap();
        let p = Period::days(day("2026-09-01"), day("2026-09-30"), pacific);
        assert_eq!(p.start, Timestamp::parse_rfc3339("2026-09-01T00:00:00-08:00").unwrap());
        assert_eq!(p.end, Timestamp::parse_rfc3339("2026-10-01T00:00:00-08:00").unwrap());
        assert!(p.contains(Timestamp::parse_rfc3339("2026-09-30T23:59:59-08:00").unwrap()));
        assert!(!p.contains(p.end));
    }

    #[test]
    fn days_out_of_order_or_off_the_calendar_are_no_period() {
        let utc = FixedOffset::east_opt(0).unwrap();
        assert!(Period::try_days(day("2026-09-02"), day("2026-09-01"), utc).is_none());
        assert!(Period::try_days(day("2026-09-01"), Day(NaiveDate::MAX), utc).is_none());
        let east = FixedOffset::east_opt(3600).unwrap();
        assert!(Period::try_days(Day(NaiveDate::MIN), day("2026-09-01"), east).is_none());
        let one = Period::try_days(day("2026-09-01"), day("2026-09-01"), utc).unwrap();
        assert_eq!((one.first_day(), one.last_day()), (day("2026-09-01"), day("2026-09-01")));
    }

    #[test]
    fn thresholds_compare_exactly() {
        assert!(Ratio { part: 1, whole: 10 }.meets(10.0));
        assert!(!Ratio { part: 9, whole: 91 }.meets(10.0));
        assert!(Ratio { part: 1, whole: 2 }.meets(50.0));
        assert!(!Ratio { part: 0, whole: 0 }.meets(0.0));
        assert_eq!(Ratio { part: 0, whole: 0 }.percent(), 0.0);
    }
}
