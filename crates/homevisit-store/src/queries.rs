//! Reads that screens need, answered from the query tables (no document is loaded).

use std::str::FromStr;

use chrono::{FixedOffset, NaiveDate, TimeZone};
use homevisit_model::{EducatorId, FamilyId, SchoolId, Timestamp, VisitId, VisitNumber, VisitStatus};
use rusqlite::types::Type;
use rusqlite::{Row, params};
use serde::Serialize;

use crate::Store;
use crate::error::Result;

/// One line of a visit list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VisitSummary {
    pub visit_id: VisitId,
    pub family_id: FamilyId,
    /// `None` when the family's record has not reached this device.
    pub family_name: Option<String>,
    pub school_id: SchoolId,
    pub scheduled_at: Timestamp,
    pub visit_number: VisitNumber,
    pub status: VisitStatus,
    pub place_kind: String,
    pub interpreter: bool,
    pub educator_ids: Vec<EducatorId>,
    pub partner_confirmed: bool,
}

fn parse<T: FromStr>(row: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = row.get(i)?;
    s.parse().map_err(|_| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, "unparseable id".into()))
}

fn convert<T>(i: usize, v: Option<T>) -> rusqlite::Result<T> {
    v.ok_or_else(|| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, "value out of range".into()))
}

const SUMMARY_SELECT: &str = "
    SELECT v.visit_id, v.family_id, f.display_name, v.school_id, v.scheduled_at, v.visit_number,
           v.status, v.place_kind, v.interpreter, v.partner_confirmed,
           (SELECT group_concat(educator_id, ',') FROM
              (SELECT educator_id FROM visit_educators e WHERE e.visit_id = v.visit_id ORDER BY position))
    FROM visit_index v LEFT JOIN family_index f ON f.family_id = v.family_id";

fn summary(row: &Row<'_>) -> rusqlite::Result<VisitSummary> {
    let educators: Option<String> = row.get(10)?;
    Ok(VisitSummary {
        visit_id: parse(row, 0)?,
        family_id: parse(row, 1)?,
        family_name: row.get(2)?,
        school_id: parse(row, 3)?,
        scheduled_at: convert(4, Timestamp::from_millis(row.get(4)?))?,
        visit_number: convert(5, VisitNumber::from_number(row.get(5)?))?,
        status: convert(6, VisitStatus::parse(&row.get::<_, String>(6)?))?,
        place_kind: row.get(7)?,
        interpreter: row.get(8)?,
        partner_confirmed: row.get(9)?,
        educator_ids: educators.unwrap_or_default().split(',').filter_map(|s| s.parse().ok()).collect(),
    })
}

impl Store {
    fn summaries(&self, filter_and_order: &str, args: impl rusqlite::Params) -> Result<Vec<VisitSummary>> {
        let mut stmt = self.conn.prepare_cached(&format!("{SUMMARY_SELECT} {filter_and_order}"))?;
        Ok(stmt.query_map(args, summary)?.collect::<Result<Vec<_>, _>>()?)
    }

    /// Visits scheduled in `[from, to)`, earliest first.
    pub fn visits_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<VisitSummary>> {
        self.summaries(
            "WHERE v.scheduled_at >= ?1 AND v.scheduled_at < ?2 ORDER BY v.scheduled_at, v.visit_id",
            params![from.millis(), to.millis()],
        )
    }

    /// Visits on a calendar day in the time zone at `offset` (the phone's).
    pub fn visits_on_day(&self, day: NaiveDate, offset: FixedOffset) -> Result<Vec<VisitSummary>> {
        let start = offset.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists")).unwrap();
        let end = start + chrono::Duration::days(1);
        let ts = |t: chrono::DateTime<FixedOffset>| Timestamp(t.with_timezone(&chrono::Utc));
        self.visits_between(ts(start), ts(end))
    }

    /// Today's visits in this machine's local time zone.
    pub fn visits_today(&self) -> Result<Vec<VisitSummary>> {
        let now = chrono::Local::now();
        self.visits_on_day(now.date_naive(), *now.offset())
    }

    /// A family's visits, earliest first.
    pub fn visits_for_family(&self, family: FamilyId) -> Result<Vec<VisitSummary>> {
        self.summaries("WHERE v.family_id = ?1 ORDER BY v.scheduled_at", [family.to_string()])
    }

    /// An educator's visits, earliest first.
    pub fn visits_for_educator(&self, educator: EducatorId) -> Result<Vec<VisitSummary>> {
        self.summaries(
            "WHERE v.visit_id IN (SELECT visit_id FROM visit_educators WHERE educator_id = ?1)
             ORDER BY v.scheduled_at",
            [educator.to_string()],
        )
    }
}
