//! Reads that screens and reports need, answered from the query tables (no document is loaded).

use std::str::FromStr;

use chrono::{FixedOffset, NaiveDate, TimeZone};
use homevisit_docs::{DocId, Scope};
use homevisit_model::{Day, EducatorId, FamilyId, SchoolId, Timestamp, VisitId, VisitNumber, VisitStatus};
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, Row, params};
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

/// A school's reach, for the coordinator's report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchoolCount {
    pub school_id: SchoolId,
    pub name: String,
    pub families: i64,
    /// Families with at least one completed visit.
    pub families_visited: i64,
    pub visits: i64,
    pub completed: i64,
    /// Completed, timed and confirmed by the partner: what stipends are paid on.
    pub documented: i64,
}

impl SchoolCount {
    /// Percent of families visited (research names 10% as the threshold that changes outcomes).
    pub fn percent_visited(&self) -> f64 {
        if self.families == 0 { 0.0 } else { 100.0 * self.families_visited as f64 / self.families as f64 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EducatorCount {
    pub educator_id: EducatorId,
    pub school_id: SchoolId,
    pub display_name: String,
    pub training_date: Option<Day>,
    pub visits: i64,
    pub completed: i64,
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

    /// Visits and reach per school.
    pub fn school_counts(&self) -> Result<Vec<SchoolCount>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.school_id, s.name,
                    (SELECT count(*) FROM family_index f WHERE f.school_id = s.school_id),
                    (SELECT count(DISTINCT family_id) FROM visit_index v
                       WHERE v.school_id = s.school_id AND v.status = 'completed'),
                    (SELECT count(*) FROM visit_index v WHERE v.school_id = s.school_id),
                    (SELECT count(*) FROM visit_index v WHERE v.school_id = s.school_id AND v.status = 'completed'),
                    (SELECT count(*) FROM visit_index v WHERE v.school_id = s.school_id AND v.status = 'completed'
                       AND v.started_at IS NOT NULL AND v.ended_at IS NOT NULL AND v.partner_confirmed)
             FROM school_index s ORDER BY s.name, s.school_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SchoolCount {
                school_id: parse(r, 0)?,
                name: r.get(1)?,
                families: r.get(2)?,
                families_visited: r.get(3)?,
                visits: r.get(4)?,
                completed: r.get(5)?,
                documented: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Visits per educator (districts honour "champions" with many visits a year).
    pub fn educator_counts(&self) -> Result<Vec<EducatorCount>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT e.educator_id, e.school_id, e.display_name, e.training_date,
                    count(v.visit_id), count(CASE WHEN v.status = 'completed' THEN 1 END)
             FROM educator_index e
             LEFT JOIN visit_educators ve ON ve.educator_id = e.educator_id
             LEFT JOIN visit_index v ON v.visit_id = ve.visit_id
             GROUP BY e.educator_id ORDER BY count(v.visit_id) DESC, e.display_name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(EducatorCount {
                educator_id: parse(r, 0)?,
                school_id: parse(r, 1)?,
                display_name: r.get(2)?,
                training_date: r.get::<_, Option<String>>(3)?.and_then(|d| Day::parse(&d)),
                visits: r.get(4)?,
                completed: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Documents whose current state `peer` is not known to have: exactly what has not reached it.
    pub fn unsynced_documents(&self, peer: &str) -> Result<Vec<DocId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.doc_id FROM documents d
             LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.peer_id = ?1
             WHERE m.heads IS NULL OR m.heads != d.heads ORDER BY d.doc_id",
        )?;
        let ids = stmt.query_map([peer], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
    }

    /// [`Store::unsynced_documents`] of one school: the documents whose recorded scope
    /// (`doc_scopes`; for notes, their visit log's) is `school`, and the prompt packs. What a relay
    /// offers a device of that school, without walking every school's documents.
    pub fn unsynced_documents_of_school(&self, peer: &str, school: SchoolId) -> Result<Vec<DocId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.doc_id FROM documents d
             JOIN doc_scopes s ON s.doc_id = d.doc_id
             LEFT JOIN doc_scopes g ON d.doc_id LIKE 'visit-notes/%' AND g.doc_id = 'visit-log/' || substr(d.doc_id, 13)
             LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.peer_id = ?1
             WHERE (m.heads IS NULL OR m.heads != d.heads)
               AND (s.school_id = ?2 OR g.school_id = ?2 OR d.doc_id LIKE 'prompt-pack/%')
             ORDER BY d.doc_id",
        )?;
        let ids = stmt
            .query_map(params![peer, school.to_string()], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
    }

    pub fn unsynced_count(&self, peer: &str) -> Result<usize> {
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM documents d
             LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.peer_id = ?1
             WHERE m.heads IS NULL OR m.heads != d.heads",
            )?
            .query_row([peer], |r| r.get(0))?;
        Ok(n as usize)
    }
}

impl Store {
    /// The scope of a stored document as this store recorded it when the document passed
    /// [`homevisit_docs::check`], under its id (`None` if it is not stored). A stored document that
    /// never passed the check has an empty scope: no school, so nobody is given it.
    pub fn document_scope(&self, doc: &DocId) -> Result<Option<Scope>> {
        if !self.contains_document(doc)? {
            return Ok(None);
        }
        let row: Option<(Option<String>, Option<String>, String)> = self
            .conn
            .prepare_cached("SELECT school_id, visit_id, educator_ids FROM doc_scopes WHERE doc_id = ?1")?
            .query_row([doc.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((school, visit, educators)) = row else { return Ok(Some(Scope::default())) };
        Ok(Some(Scope {
            school: school.and_then(|s| s.parse().ok()),
            visit: visit.and_then(|v| v.parse().ok()),
            educators: educators.split(',').filter_map(|e| e.parse().ok()).collect(),
            family: None,
        }))
    }

    /// Records that `educator`'s device stored changes to visit `visit` (its log or notes).
    pub fn record_contributor(&mut self, visit: VisitId, educator: EducatorId) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO visit_contributors (visit_id, educator_id) VALUES (?1, ?2)")?
            .execute(params![visit.to_string(), educator.to_string()])?;
        Ok(())
    }

    /// The educators whose devices stored changes to visit `visit`.
    pub fn contributors(&self, visit: VisitId) -> Result<Vec<EducatorId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT educator_id FROM visit_contributors WHERE visit_id = ?1 ORDER BY educator_id")?;
        let ids = stmt.query_map([visit.to_string()], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
    }

    /// What `device`'s changes have stored on this relay: (documents created, bytes).
    pub fn device_usage(&self, device: &str) -> Result<(u64, u64)> {
        let usage = self
            .conn
            .prepare_cached("SELECT documents, bytes FROM device_usage WHERE device_id = ?1")?
            .query_row([device], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .optional()?
            .unwrap_or((0, 0));
        Ok((usage.0.max(0) as u64, usage.1.max(0) as u64))
    }

    /// Adds to what `device`'s changes have stored.
    pub fn add_device_usage(&mut self, device: &str, documents: u64, bytes: u64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO device_usage (device_id, documents, bytes) VALUES (?1, ?2, ?3)
                 ON CONFLICT (device_id) DO UPDATE SET documents = documents + excluded.documents,
                                                       bytes = bytes + excluded.bytes",
            )?
            .execute(params![device, documents as i64, bytes as i64])?;
        Ok(())
    }
}
