//! Query tables: what screens and coordinators' reports need, derived from the documents and
//! updated in the same transaction as every change.

use automerge::AutoCommit;
use homevisit_docs::{Content, DocId};
use rusqlite::{Connection, params};

use crate::error::{Result, StoreError};

pub(crate) fn clear(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM school_index; DELETE FROM educator_index; DELETE FROM family_index;
         DELETE FROM visit_index; DELETE FROM visit_educators; DELETE FROM prompt_pack_index;
         DELETE FROM doc_scopes;",
    )?;
    Ok(())
}

/// What a document contributes to the query tables and its scope: its checked content
/// ([`homevisit_docs::check`]). Derived without I/O (so it can be computed off the database
/// thread), then written by [`apply`].
pub(crate) type Rows = Content;

/// Checks document `id` and reads the rows it contributes. A document whose content disagrees with
/// its id, or whose record is invalid, is an error: it is never indexed.
pub(crate) fn rows_for(id: &DocId, doc: &AutoCommit) -> Result<Rows> {
    homevisit_docs::check(id, doc).map_err(StoreError::doc(*id))
}

/// Writes a document's rows: its scope under its id, and what the screens need.
pub(crate) fn apply(conn: &Connection, id: &DocId, rows: &Rows) -> Result<()> {
    let scope = rows.scope(id);
    let educators: Vec<String> = scope.educators.iter().map(|e| e.to_string()).collect();
    conn.prepare_cached(
        "INSERT INTO doc_scopes (doc_id, school_id, visit_id, educator_ids) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (doc_id) DO UPDATE SET school_id = excluded.school_id, visit_id = excluded.visit_id,
           educator_ids = excluded.educator_ids",
    )?
    .execute(params![
        id.to_string(),
        scope.school.map(|s| s.to_string()),
        scope.visit.map(|v| v.to_string()),
        educators.join(",")
    ])?;
    match rows {
        Rows::School(s) => {
            conn.prepare_cached(
                "INSERT INTO school_index (school_id, name) VALUES (?1, ?2)
                 ON CONFLICT (school_id) DO UPDATE SET name = excluded.name",
            )?
            .execute(params![s.id.to_string(), &s.name])?;
        }
        Rows::Educator(e) => {
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
        Rows::Family(f) => {
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
        Rows::VisitLog(log) => {
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
        Rows::PromptPack(pack) => {
            conn.prepare_cached(
                "INSERT INTO prompt_pack_index (language, visit_number, doc_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (language, visit_number) DO UPDATE SET doc_id = excluded.doc_id",
            )?
            .execute(params![pack.language.as_str(), pack.visit_number.number(), id.to_string()])?;
        }
        Rows::VisitNotes => {}
    }
    Ok(())
}
