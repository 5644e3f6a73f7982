//! The phone's index: the query tables its screens and coordinators' reports read (today's
//! visits, a family's visits, counts per school and educator), kept by the document store in the
//! same transaction as every change. Nothing here decides access (the relay keeps its own records).

use homevisit_docs::{Content, DocId, DocKind};
use rusqlite::{Connection, params};

use crate::Index;
use crate::error::Result;

/// The phone's query tables (`migrations/phone/`).
pub struct PhoneIndex;

impl Index for PhoneIndex {
    const NAME: &'static str = "phone";
    /// 2: prompt packs are indexed by school too.
    const VERSION: i64 = 2;
    const MIGRATIONS: &'static [&'static str] = &[
        include_str!("../migrations/phone/001_query_tables.sql"),
        include_str!("../migrations/phone/002_without_relay_tables.sql"),
        include_str!("../migrations/phone/003_prompt_pack_school.sql"),
    ];

    fn clear(conn: &Connection) -> Result<()> {
        conn.execute_batch(
            "DELETE FROM school_index; DELETE FROM educator_index; DELETE FROM family_index;
             DELETE FROM visit_index; DELETE FROM visit_educators; DELETE FROM prompt_pack_index;",
        )?;
        Ok(())
    }

    fn remove(conn: &Connection, id: &DocId) -> Result<()> {
        // Rows are keyed by the record's id, a prompt pack's by its document id.
        let key = if id.kind == DocKind::PromptPack { id.to_string() } else { id.id.to_string() };
        let statements: &[&str] = match id.kind {
            DocKind::School => &["DELETE FROM school_index WHERE school_id = ?1"],
            DocKind::Educator => &["DELETE FROM educator_index WHERE educator_id = ?1"],
            DocKind::Family => &["DELETE FROM family_index WHERE family_id = ?1"],
            DocKind::VisitLog => {
                &["DELETE FROM visit_educators WHERE visit_id = ?1", "DELETE FROM visit_index WHERE visit_id = ?1"]
            }
            // Notes have no row of their own (their visit's row is the log's).
            DocKind::VisitNotes => &[],
            DocKind::PromptPack => &["DELETE FROM prompt_pack_index WHERE doc_id = ?1"],
        };
        for sql in statements {
            conn.prepare_cached(sql)?.execute(params![key])?;
        }
        Ok(())
    }

    fn apply(conn: &Connection, id: &DocId, content: &Content) -> Result<()> {
        match content {
            Content::School(s) => {
                conn.prepare_cached(
                    "INSERT INTO school_index (school_id, name) VALUES (?1, ?2)
                     ON CONFLICT (school_id) DO UPDATE SET name = excluded.name",
                )?
                .execute(params![s.id.to_string(), &s.name])?;
            }
            Content::Educator(e) => {
                conn.prepare_cached(
                    "INSERT INTO educator_index (educator_id, school_id, display_name, role, training_date)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (educator_id) DO UPDATE SET school_id = excluded.school_id,
                       display_name = excluded.display_name, role = excluded.role,
                       training_date = excluded.training_date",
                )?
                .execute(params![
                    e.id.to_string(),
                    e.school_id.to_string(),
                    &e.display_name,
                    e.role.as_str(),
                    e.training_date.map(|d| d.to_string())
                ])?;
            }
            Content::Family(f) => {
                conn.prepare_cached(
                    "INSERT INTO family_index (family_id, school_id, display_name, language) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (family_id) DO UPDATE SET school_id = excluded.school_id,
                       display_name = excluded.display_name, language = excluded.language",
                )?
                .execute(params![
                    f.id.to_string(),
                    f.school_id.to_string(),
                    &f.display_name,
                    f.preferred_language.as_str()
                ])?;
            }
            Content::VisitLog(log) => {
                let (p, o) = (&log.plan, &log.outcome);
                let visit = p.id.to_string();
                conn.prepare_cached(
                    "INSERT INTO visit_index (visit_id, family_id, school_id, scheduled_at, visit_number, status,
                       place_kind, interpreter, started_at, ended_at, partner_confirmed)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                     ON CONFLICT (visit_id) DO UPDATE SET family_id = excluded.family_id,
                       school_id = excluded.school_id, scheduled_at = excluded.scheduled_at,
                       visit_number = excluded.visit_number, status = excluded.status,
                       place_kind = excluded.place_kind, interpreter = excluded.interpreter,
                       started_at = excluded.started_at, ended_at = excluded.ended_at,
                       partner_confirmed = excluded.partner_confirmed",
                )?
                .execute(params![
                    visit,
                    p.family_id.to_string(),
                    p.school_id.to_string(),
                    p.scheduled_at.millis(),
                    p.visit_number.number(),
                    o.status.as_str(),
                    p.place.kind(),
                    p.interpreter.is_some(),
                    o.started_at.map(|t| t.millis()),
                    o.ended_at.map(|t| t.millis()),
                    o.partner_confirmation.is_some(),
                ])?;
                conn.prepare_cached("DELETE FROM visit_educators WHERE visit_id = ?1")?.execute([&visit])?;
                let mut insert = conn.prepare_cached(
                    "INSERT OR IGNORE INTO visit_educators (visit_id, educator_id, position) VALUES (?1, ?2, ?3)",
                )?;
                for (i, e) in p.educator_ids.iter().enumerate() {
                    insert.execute(params![visit, e.to_string(), i as i64])?;
                }
            }
            Content::PromptPack(pack) => {
                conn.prepare_cached(
                    "INSERT INTO prompt_pack_index (school_id, language, visit_number, doc_id) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (school_id, language, visit_number) DO UPDATE SET doc_id = excluded.doc_id",
                )?
                .execute(params![
                    pack.school_id.map(|s| s.to_string()).unwrap_or_default(),
                    pack.language.as_str(),
                    pack.visit_number.number(),
                    id.to_string()
                ])?;
            }
            Content::VisitNotes => {}
        }
        Ok(())
    }
}
