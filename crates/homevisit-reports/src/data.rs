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
    /// district's).
    pub fn days(from: Day, to: Day, offset: FixedOffset) -> Period {
        let at_midnight = |d: chrono::NaiveDate| {
            let local = d.and_hms_opt(0, 0, 0).expect("midnight exists");
            Timestamp(offset.from_local_datetime(&local).single().expect("a fixed offset is unambiguous").to_utc())
        };
        Period { start: at_midnight(from.0), end: at_midnight(to.0 + chrono::Days::new(1)) }
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
