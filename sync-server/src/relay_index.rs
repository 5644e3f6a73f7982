//! The embedded relay's own records, kept by the document store ([`homevisit_store::Index`]) in
//! the same transaction as every change: the scope of each document under its id (what access is
//! decided on), the educators who wrote to each visit, and what each device has stored. Its
//! tables are its own (`migrations/embedded/`): no phone screen table is among them, so nothing
//! a phone's index does can change who the relay lets read what.

use homevisit_docs::{Content, DocId, Scope};
use homevisit_model::{EducatorId, FamilyId, SchoolId, VisitId};
use homevisit_store::{Index, PeerId, Result, Store};
use homevisit_sync::{CandidateRange, DeviceId};
use rusqlite::{Connection, OptionalExtension, params};

use crate::attest::{Attestation, Attested, Effect, relay_now, source_name};
use crate::backend::Usage;
use crate::candidate_bounds;
use crate::deletion::DeletionReceipt;

/// The embedded relay's records.
pub struct RelayIndex;

/// The embedded relay's document store.
pub type RelayStore = Store<RelayIndex>;

impl Index for RelayIndex {
    const NAME: &'static str = "relay";
    /// 2: `doc_families` (rebuilt from the documents).
    const VERSION: i64 = 2;
    const MIGRATIONS: &'static [&'static str] = &[
        include_str!("../migrations/embedded/001_relay_tables.sql"),
        include_str!("../migrations/embedded/002_without_phone_tables.sql"),
        include_str!("../migrations/embedded/003_deletion.sql"),
        include_str!("../migrations/embedded/004_attestations_and_declines.sql"),
        include_str!("../migrations/embedded/005_offer_cursors.sql"),
    ];

    fn clear(conn: &Connection) -> Result<()> {
        // Only what is derived from the documents: contributors and usage are records of what
        // devices did, which the documents cannot tell again.
        conn.execute_batch("DELETE FROM doc_scopes; DELETE FROM doc_families;")?;
        Ok(())
    }

    fn apply(conn: &Connection, id: &DocId, content: &Content) -> Result<()> {
        let scope = content.scope(id);
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
        match scope.family {
            Some(family) => conn
                .prepare_cached(
                    "INSERT INTO doc_families (doc_id, family_id) VALUES (?1, ?2)
                     ON CONFLICT (doc_id) DO UPDATE SET family_id = excluded.family_id",
                )?
                .execute(params![id.to_string(), family.to_string()])?,
            None => conn.prepare_cached("DELETE FROM doc_families WHERE doc_id = ?1")?.execute([id.to_string()])?,
        };
        Ok(())
    }

    fn remove(conn: &Connection, id: &DocId) -> Result<()> {
        conn.prepare_cached("DELETE FROM doc_scopes WHERE doc_id = ?1")?.execute([id.to_string()])?;
        conn.prepare_cached("DELETE FROM doc_families WHERE doc_id = ?1")?.execute([id.to_string()])?;
        // The relay's records of a deleted visit or family go with it: who wrote, who attested,
        // declines (ids only, but the family asked for everything held about it to go).
        // Only with the log: notes purged alone (retention) leave the visit, and who its pair is.
        if id.kind == homevisit_docs::DocKind::VisitLog {
            conn.prepare_cached("DELETE FROM visit_contributors WHERE visit_id = ?1")?.execute([id.id.to_string()])?;
            conn.prepare_cached("DELETE FROM visit_attestations WHERE visit_id = ?1")?.execute([id.id.to_string()])?;
            conn.prepare_cached("DELETE FROM family_declines WHERE visit_id = ?1")?.execute([id.id.to_string()])?;
        }
        if id.kind == homevisit_docs::DocKind::Family {
            conn.prepare_cached("DELETE FROM family_declines WHERE family_id = ?1")?.execute([id.id.to_string()])?;
        }
        Ok(())
    }
}

/// The scope of a stored document as recorded when it passed [`homevisit_docs::check`], under its
/// id (`None` if it is not stored). A stored document that never passed the check has an empty
/// scope: no school, so nobody is given it.
pub fn document_scope(store: &RelayStore, doc: &DocId) -> Result<Option<Scope>> {
    // One read for both questions (is it stored, and its scope): access asks it of every document.
    type ScopeRow = (Option<String>, Option<String>, Option<String>);
    let row: Option<ScopeRow> = store
        .index_tables()
        .prepare_cached(
            "SELECT s.school_id, s.visit_id, s.educator_ids
             FROM documents d LEFT JOIN doc_scopes s ON s.doc_id = d.doc_id WHERE d.doc_id = ?1",
        )?
        .query_row([doc.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((school, visit, educators)) = row else { return Ok(None) };
    // Stored, but with no scope row: it never passed the check.
    let Some(educators) = educators else { return Ok(Some(Scope::default())) };
    Ok(Some(Scope {
        school: school.and_then(|s| s.parse().ok()),
        visit: visit.and_then(|v| v.parse().ok()),
        educators: educators.split(',').filter_map(|e| e.parse().ok()).collect(),
        family: None,
    }))
}

/// The family recorded for a stored document (a family record or a visit's log) when it passed
/// [`homevisit_docs::check`]; `None` if it is not stored or has none.
pub fn recorded_family(store: &RelayStore, doc: &DocId) -> Result<Option<FamilyId>> {
    let family: Option<String> = store
        .index_tables()
        .prepare_cached("SELECT family_id FROM doc_families WHERE doc_id = ?1")?
        .query_row([doc.to_string()], |r| r.get(0))
        .optional()?;
    Ok(family.and_then(|f| f.parse().ok()))
}

/// Records that `educator`'s device stored changes to visit `visit` (its log or notes).
pub fn record_contributor(store: &RelayStore, visit: VisitId, educator: EducatorId) -> Result<()> {
    store
        .index_tables()
        .prepare_cached("INSERT OR IGNORE INTO visit_contributors (visit_id, educator_id) VALUES (?1, ?2)")?
        .execute(params![visit.to_string(), educator.to_string()])?;
    Ok(())
}

/// The first column of `stmt`'s rows for `params`, parsed as ids (a row that does not parse is
/// left out).
fn parsed_ids<T: std::str::FromStr>(
    stmt: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<T>> {
    let ids = stmt.query_map(params, |r| r.get::<_, String>(0))?.collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
}

/// The educators whose devices stored changes to visit `visit`.
pub fn contributors(store: &RelayStore, visit: VisitId) -> Result<Vec<EducatorId>> {
    let mut stmt = store
        .index_tables()
        .prepare_cached("SELECT educator_id FROM visit_contributors WHERE visit_id = ?1 ORDER BY educator_id")?;
    parsed_ids(&mut stmt, [visit.to_string()])
}

/// The latest recorded value of each attested field of `visit`, or `None` if none is recorded.
pub fn attested(store: &RelayStore, visit: VisitId) -> Result<Option<[Option<EducatorId>; 3]>> {
    let rows = attestations(store, visit)?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(Attested::ALL.map(|what| rows.iter().rev().find(|r| r.what == what).and_then(|r| r.educator))))
}

/// Every recorded value of `visit`'s attested fields, oldest first.
pub fn attestations(store: &RelayStore, visit: VisitId) -> Result<Vec<Attestation>> {
    let mut stmt = store.index_tables().prepare_cached(
        "SELECT what, educator_id, device_id, at FROM visit_attestations WHERE visit_id = ?1 ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([visit.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(what, educator, device, at)| {
            Some(Attestation {
                visit,
                what: Attested::parse(&what)?,
                educator: educator.and_then(|e| e.parse().ok()),
                device,
                at,
            })
        })
        .collect())
}

/// The family's declined visits no coordinator has lifted.
pub fn open_declines(store: &RelayStore, family: FamilyId) -> Result<Vec<VisitId>> {
    let mut stmt = store.index_tables().prepare_cached(
        "SELECT visit_id FROM family_declines WHERE family_id = ?1 AND lifted_at IS NULL ORDER BY visit_id",
    )?;
    parsed_ids(&mut stmt, [family.to_string()])
}

/// Records what an accepted change attests or declines, by `device`, at the relay's time.
pub fn record_effect(store: &RelayStore, effect: &Effect, device: &str) -> Result<()> {
    let conn = store.index_tables();
    let now = relay_now();
    match effect {
        Effect::Attest { visit, what, educator, source } => {
            conn.prepare_cached(
                "INSERT INTO visit_attestations (visit_id, what, educator_id, device_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                visit.to_string(),
                what.as_str(),
                educator.map(|e| e.to_string()),
                source_name(*source, device),
                now
            ])?;
        }
        Effect::Decline { family, visit } => {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO family_declines (family_id, visit_id, device_id, declined_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![family.to_string(), visit.to_string(), device, now])?;
        }
        Effect::Lift { family, visits } => {
            let mut stmt = conn.prepare_cached(
                "UPDATE family_declines SET lifted_at = ?3, lifted_by = ?4
                 WHERE family_id = ?1 AND visit_id = ?2 AND lifted_at IS NULL",
            )?;
            for visit in visits {
                stmt.execute(params![family.to_string(), visit.to_string(), now, device])?;
            }
        }
    }
    Ok(())
}

/// What `device`'s changes have stored on this relay.
pub fn device_usage(store: &RelayStore, device: &DeviceId) -> Result<Usage> {
    let (documents, bytes) = store
        .index_tables()
        .prepare_cached("SELECT documents, bytes FROM device_usage WHERE device_id = ?1")?
        .query_row([device.as_str()], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .optional()?
        .unwrap_or((0, 0));
    Ok(Usage { documents: documents.max(0) as u64, bytes: bytes.max(0) as u64 })
}

/// Adds to what `device`'s changes have stored.
pub fn add_device_usage(store: &RelayStore, device: &DeviceId, added: Usage) -> Result<()> {
    store
        .index_tables()
        .prepare_cached(
            "INSERT INTO device_usage (device_id, documents, bytes) VALUES (?1, ?2, ?3)
             ON CONFLICT (device_id) DO UPDATE SET documents = documents + excluded.documents,
                                                   bytes = bytes + excluded.bytes",
        )?
        .execute(params![device.as_str(), added.documents as i64, added.bytes as i64])?;
    Ok(())
}

/// The documents not yet in sync with `peer` whose recorded scope is `school` (for notes, their
/// visit log's), and the prompt packs: what the relay offers a device of that school, without
/// walking every school's documents. `None`: every school's (a district administrator's device).
/// Only the part `range` (ids compared as text), from three index scans that each stop at
/// `range.limit` found ([`crate::candidate_bounds`]). A document without a scope row (one that
/// failed its check) is never listed.
pub fn unsynced_of_school(
    store: &RelayStore,
    peer: &PeerId,
    school: Option<SchoolId>,
    range: CandidateRange<'_>,
) -> Result<Vec<DocId>> {
    let Some(school) = school else { return unsynced_of_every_school(store, peer, range) };
    let mut stmt = store.index_tables().prepare_cached(SCHOOL_CANDIDATES)?;
    let (own, notes, packs) =
        (candidate_bounds::own(range), candidate_bounds::notes_as_logs(range), candidate_bounds::prompt_packs(range));
    let limit = candidate_bounds::limit(range);
    parsed_ids(
        &mut stmt,
        params![
            peer.as_str(),
            school.to_string(),
            own.after,
            own.upto,
            notes.after,
            notes.upto,
            packs.after,
            packs.upto,
            limit
        ],
    )
}

/// The three scans of [`unsynced_of_school`] (?1 peer, ?2 school, ?3..?8 the bounds of the
/// school's own documents, of its visit logs for their notes, and of the prompt packs, ?9 the
/// part's size).
const SCHOOL_CANDIDATES: &str = "SELECT doc_id FROM (
           SELECT * FROM (
             SELECT s.doc_id AS doc_id FROM doc_scopes s
               JOIN documents d ON d.doc_id = s.doc_id
               LEFT JOIN sync_marks m ON m.peer_id = ?1 AND m.doc_id = s.doc_id
              WHERE s.school_id = ?2 AND s.doc_id > ?3 AND s.doc_id <= ?4
                AND (m.heads IS NULL OR m.heads != d.heads)
              ORDER BY s.doc_id LIMIT ?9)
           UNION ALL
           SELECT * FROM (
             SELECT n.doc_id AS doc_id FROM doc_scopes g
               JOIN documents n ON n.doc_id = 'visit-notes/' || substr(g.doc_id, 11)
               JOIN doc_scopes ns ON ns.doc_id = n.doc_id
               LEFT JOIN sync_marks m ON m.peer_id = ?1 AND m.doc_id = n.doc_id
              WHERE g.school_id = ?2 AND g.doc_id > ?5 AND g.doc_id <= ?6
                AND (m.heads IS NULL OR m.heads != n.heads)
              ORDER BY g.doc_id LIMIT ?9)
           UNION ALL
           SELECT * FROM (
             SELECT d.doc_id AS doc_id FROM documents d
               JOIN doc_scopes p ON p.doc_id = d.doc_id
               LEFT JOIN sync_marks m ON m.peer_id = ?1 AND m.doc_id = d.doc_id
              WHERE d.doc_id > ?7 AND d.doc_id <= ?8
                AND (m.heads IS NULL OR m.heads != d.heads)
              ORDER BY d.doc_id LIMIT ?9))
         ORDER BY doc_id LIMIT ?9";

/// [`unsynced_of_school`] for a district administrator's device: every school's documents.
fn unsynced_of_every_school(store: &RelayStore, peer: &PeerId, range: CandidateRange<'_>) -> Result<Vec<DocId>> {
    let mut stmt = store.index_tables().prepare_cached(
        "SELECT d.doc_id FROM documents d
         JOIN doc_scopes s ON s.doc_id = d.doc_id
         LEFT JOIN doc_scopes g ON d.doc_id LIKE 'visit-notes/%' AND g.doc_id = 'visit-log/' || substr(d.doc_id, 13)
         LEFT JOIN sync_marks m ON m.doc_id = d.doc_id AND m.peer_id = ?1
         WHERE d.doc_id > ?2 AND d.doc_id <= ?3
           AND (m.heads IS NULL OR m.heads != d.heads)
           AND (d.doc_id LIKE 'prompt-pack/%' OR coalesce(s.school_id, g.school_id) IS NOT NULL)
         ORDER BY d.doc_id LIMIT ?4",
    )?;
    let own = candidate_bounds::own(range);
    let limit = candidate_bounds::limit(range);
    parsed_ids(&mut stmt, params![peer.as_str(), own.after, own.upto, limit])
}

/// Where `peer`'s next paged offer starts.
pub fn offer_cursor(store: &RelayStore, peer: &PeerId) -> Result<Option<DocId>> {
    let id: Option<String> = store
        .index_tables()
        .prepare_cached("SELECT doc_id FROM offer_cursors WHERE peer_id = ?1")?
        .query_row([peer.as_str()], |r| r.get(0))
        .optional()?;
    Ok(id.and_then(|id| id.parse().ok()))
}

/// Records where `peer`'s next paged offer starts (`None`: at the first document).
pub fn save_offer_cursor(store: &RelayStore, peer: &PeerId, cursor: Option<DocId>) -> Result<()> {
    let conn = store.index_tables();
    match cursor {
        Some(doc) => conn
            .prepare_cached(
                "INSERT INTO offer_cursors (peer_id, doc_id) VALUES (?1, ?2)
                 ON CONFLICT (peer_id) DO UPDATE SET doc_id = excluded.doc_id",
            )?
            .execute(params![peer.as_str(), doc.to_string()])?,
        None => conn.prepare_cached("DELETE FROM offer_cursors WHERE peer_id = ?1")?.execute([peer.as_str()])?,
    };
    Ok(())
}

/// The stored documents whose recorded scope is `school` (for notes, their visit log's); `None`:
/// every school's (prompt packs are no school's and never listed).
pub fn school_documents(store: &RelayStore, school: Option<SchoolId>) -> Result<Vec<DocId>> {
    let mut stmt = store.index_tables().prepare_cached(
        "SELECT d.doc_id FROM documents d
         JOIN doc_scopes s ON s.doc_id = d.doc_id
         LEFT JOIN doc_scopes g ON d.doc_id LIKE 'visit-notes/%' AND g.doc_id = 'visit-log/' || substr(d.doc_id, 13)
         WHERE d.doc_id NOT LIKE 'prompt-pack/%'
           AND (coalesce(s.school_id, g.school_id) = ?1 OR (?1 IS NULL AND coalesce(s.school_id, g.school_id) IS NOT NULL))
         ORDER BY d.doc_id",
    )?;
    parsed_ids(&mut stmt, params![school.map(|s| s.to_string())])
}

/// The stored documents of `family` from the relay's records: its record, the visit logs whose
/// recorded family it is, and those visits' notes.
pub fn family_documents(store: &RelayStore, family: FamilyId) -> Result<Vec<DocId>> {
    let mut stmt = store.index_tables().prepare_cached(
        "SELECT d.doc_id FROM documents d JOIN doc_families f ON f.doc_id = d.doc_id
          WHERE f.family_id = ?1 AND (d.doc_id LIKE 'family/%' OR d.doc_id LIKE 'visit-log/%')
         UNION
         SELECT n.doc_id FROM documents n JOIN doc_families f ON f.doc_id = 'visit-log/' || substr(n.doc_id, 13)
          WHERE n.doc_id LIKE 'visit-notes/%' AND f.family_id = ?1
         ORDER BY 1",
    )?;
    parsed_ids(&mut stmt, [family.to_string()])
}

/// Whether `doc` was deleted (a tombstone).
pub fn is_deleted(store: &RelayStore, doc: &DocId) -> Result<bool> {
    Ok(store
        .index_tables()
        .prepare_cached("SELECT 1 FROM deleted_documents WHERE doc_id = ?1")?
        .query_row([doc.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Records `receipt` and its tombstones (inside the deletion's transaction).
pub fn record_deletion(conn: &Connection, receipt: &DeletionReceipt) -> Result<()> {
    let (reason, family) = crate::deletion::reason_columns(receipt.reason);
    let ids: Vec<String> = receipt.documents.iter().map(|d| d.to_string()).collect();
    conn.execute(
        "INSERT INTO deletion_receipts (receipt_id, reason, family_id, doc_ids, deleted_at, deleted_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            receipt.id.to_string(),
            reason,
            family,
            ids.join(","),
            receipt.deleted_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            receipt.deleted_by
        ],
    )?;
    for doc in &receipt.documents {
        // The school the relay recorded for it (for notes, their visit log's): read before its
        // rows are deleted, in the same transaction.
        conn.execute(
            "INSERT OR IGNORE INTO deleted_documents (doc_id, receipt_id, school_id)
             VALUES (?1, ?2, (SELECT school_id FROM doc_scopes WHERE doc_id = ?3))",
            params![doc.to_string(), receipt.id.to_string(), homevisit_docs::governing_doc(doc).to_string()],
        )?;
    }
    Ok(())
}

/// Records that `device` deleted the deleted documents of `school` among `docs` (others are
/// ignored: a device confirms only what it was told).
pub fn confirm_deleted(store: &RelayStore, device: &DeviceId, school: SchoolId, docs: &[DocId]) -> Result<()> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for doc in docs {
        store
            .index_tables()
            .prepare_cached(
                "INSERT OR IGNORE INTO deletion_confirmations (doc_id, device_id, confirmed_at)
                 SELECT doc_id, ?2, ?3 FROM deleted_documents WHERE doc_id = ?1 AND school_id = ?4",
            )?
            .execute(params![doc.to_string(), device.as_str(), now, school.to_string()])?;
    }
    Ok(())
}

/// The deleted documents of `school` that `device` has not confirmed deleting, at most `limit`.
pub fn pending_deletions(store: &RelayStore, device: &DeviceId, school: SchoolId, limit: usize) -> Result<Vec<DocId>> {
    let mut stmt = store.index_tables().prepare_cached(
        "SELECT d.doc_id FROM deleted_documents d
         WHERE d.school_id = ?1
           AND NOT EXISTS (SELECT 1 FROM deletion_confirmations c WHERE c.doc_id = d.doc_id AND c.device_id = ?2)
         ORDER BY d.doc_id LIMIT ?3",
    )?;
    parsed_ids(&mut stmt, params![school.to_string(), device.as_str(), limit as i64])
}

/// Every deletion receipt, oldest first, with its confirmations.
pub fn receipts(store: &RelayStore) -> std::result::Result<Vec<DeletionReceipt>, crate::RelayError> {
    let conn = store.index_tables();
    let rows: Vec<(String, String, Option<String>, String, String, String)> = conn
        .prepare(
            "SELECT receipt_id, reason, family_id, doc_ids, deleted_at, deleted_by FROM deletion_receipts
             ORDER BY deleted_at, receipt_id",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .map_err(|e| crate::RelayError::Io(e.to_string()))?;
    rows.into_iter()
        .map(|(id, reason, family, docs, at, by)| {
            let confirmations = conn
                .prepare_cached(
                    "SELECT c.device_id, max(c.confirmed_at) FROM deletion_confirmations c
                     JOIN deleted_documents d ON d.doc_id = c.doc_id
                     WHERE d.receipt_id = ?1 GROUP BY c.device_id
                     HAVING count(*) = (SELECT count(*) FROM deleted_documents WHERE receipt_id = ?1)
                     ORDER BY 2, 1",
                )
                .and_then(|mut s| {
                    s.query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<std::result::Result<Vec<_>, _>>()
                })
                .map_err(|e| crate::RelayError::Io(e.to_string()))?;
            crate::deletion::receipt_from_row(&id, &reason, family.as_deref(), &docs, &at, by, confirmations)
        })
        .collect()
}

/// A district setting (`relay_settings`).
pub fn setting(store: &RelayStore, key: &str) -> Result<Option<String>> {
    Ok(store
        .index_tables()
        .prepare_cached("SELECT value FROM relay_settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn set_setting(store: &RelayStore, key: &str, value: &str) -> Result<()> {
    store.index_tables().execute(
        "INSERT INTO relay_settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;
    use automerge::transaction::Transactable;
    use chrono::{FixedOffset, NaiveDate};
    use homevisit_docs::{DocKind, create_record};
    use homevisit_model::{VisitLog, VisitPlan};
    use homevisit_store::{DbKey, StoreOptions};

    use super::*;

    /// A relay store holding the demo district (imported the way `Relay::import_with` does).
    fn demo_relay(dir: &tempfile::TempDir) -> (RelayStore, homevisit_fixtures::DataSet) {
        let data = homevisit_fixtures::demo::data_set(
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            FixedOffset::west_opt(8 * 3600).unwrap(),
        );
        let mut scratch = Store::in_memory().unwrap();
        scratch.import_district(&data.schools, &data.educators, &data.families, &data.visits).unwrap();
        let key = DbKey::from_bytes([3; 32]);
        let mut relay =
            RelayStore::open_indexed(dir.path().join("documents.db"), &key, StoreOptions::default()).unwrap();
        for id in scratch.document_ids(None).unwrap() {
            relay.merge_document_bytes(&id, &scratch.stored_document(&id).unwrap().0).unwrap();
        }
        (relay, data)
    }

    /// Retention purges a visit's notes alone: the relay still knows who wrote to the visit (its
    /// log stays, and a partner's access with it); deleting the log forgets them, as PostgreSQL's
    /// deletion does.
    #[test]
    fn purging_notes_alone_keeps_the_visits_contributors() {
        let dir = tempfile::tempdir().unwrap();
        let (mut relay, data) = demo_relay(&dir);
        let plan = &data.visits[0].0.plan;
        record_contributor(&relay, plan.id, plan.educator_ids[0]).unwrap();
        relay.purge_documents(&[DocId::new(DocKind::VisitNotes, plan.id.uuid())]).unwrap();
        assert_eq!(contributors(&relay, plan.id).unwrap(), vec![plan.educator_ids[0]]);
        relay.purge_documents(&[DocId::new(DocKind::VisitLog, plan.id.uuid())]).unwrap();
        assert_eq!(contributors(&relay, plan.id).unwrap(), vec![]);
    }

    /// A school's candidates are its documents, its visits' notes and the prompt packs, in id
    /// order, the same walked a part at a time; marked ones drop out; and listing them walks
    /// indexes, never every document of the district.
    #[test]
    fn a_schools_candidates_come_from_its_own_index_in_parts() {
        let dir = tempfile::tempdir().unwrap();
        let (relay, data) = demo_relay(&dir);
        let school = data.schools[0].id;
        let peer: PeerId = "device-1".parse().unwrap();
        let packs: Vec<DocId> =
            relay.document_ids(None).unwrap().into_iter().filter(|d| d.kind == DocKind::PromptPack).collect();
        let mut expected: Vec<DocId> = school_documents(&relay, Some(school)).unwrap();
        expected.extend(packs);
        expected.sort_by_key(|d| d.to_string());
        let whole = unsynced_of_school(&relay, &peer, Some(school), CandidateRange::all()).unwrap();
        assert_eq!(whole, expected);
        assert!(whole.iter().any(|d| d.kind == DocKind::VisitNotes), "notes are listed by their logs' school");
        let mut walked = Vec::new();
        loop {
            let after = walked.last().copied();
            let part = CandidateRange { after: after.as_ref(), upto: None, limit: 3 };
            let found = unsynced_of_school(&relay, &peer, Some(school), part).unwrap();
            walked.extend(&found);
            if found.len() < 3 {
                break;
            }
        }
        assert_eq!(walked, whole);
        let first = whole[0];
        let heads: Vec<u8> = relay
            .index_tables()
            .query_row("SELECT heads FROM documents WHERE doc_id = ?1", [first.to_string()], |r| r.get(0))
            .unwrap();
        relay
            .index_tables()
            .execute(
                "INSERT INTO sync_marks (peer_id, doc_id, heads) VALUES (?1, ?2, ?3)",
                params![peer.as_str(), first.to_string(), heads],
            )
            .unwrap();
        assert_eq!(unsynced_of_school(&relay, &peer, Some(school), CandidateRange::all()).unwrap(), whole[1..]);
        // The plan: every scan of the documents is a search by key or by an index's range.
        let plan: Vec<String> = {
            let sql = "EXPLAIN QUERY PLAN ".to_owned() + SCHOOL_CANDIDATES;
            let mut stmt = relay.index_tables().prepare(&sql).unwrap();
            let p = params![
                peer.as_str(),
                school.to_string(),
                "",
                "~",
                "visit-log/",
                "visit-log0",
                "prompt-pack/",
                "prompt-pack0",
                10
            ];
            stmt.query_map(p, |r| r.get::<_, String>(3)).unwrap().map(|r| r.unwrap()).collect()
        };
        assert!(
            plan.iter().all(|step| !step.starts_with("SCAN d")
                && !step.starts_with("SCAN n")
                && !step.starts_with("SCAN s")
                && !step.starts_with("SCAN g")),
            "{plan:#?}"
        );
    }

    fn tables(store: &RelayStore) -> Vec<String> {
        let mut stmt = store.index_tables().prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(|t| t.unwrap()).collect()
    }

    #[test]
    fn every_stored_document_has_the_scope_of_its_own_id() {
        let dir = tempfile::tempdir().unwrap();
        let (relay, data) = demo_relay(&dir);
        for (log, _) in &data.visits {
            let id = DocId::new(DocKind::VisitLog, log.plan.id.uuid());
            let scope = document_scope(&relay, &id).unwrap().unwrap();
            let expected = Scope {
                school: Some(log.plan.school_id),
                visit: Some(log.plan.id),
                educators: log.plan.educator_ids.clone(),
                family: None,
            };
            assert_eq!(scope, expected);
            let notes = DocId::new(DocKind::VisitNotes, log.plan.id.uuid());
            assert_eq!(document_scope(&relay, &notes).unwrap().unwrap().visit, Some(log.plan.id));
        }
        let unknown = DocId::new(DocKind::Family, uuid::Uuid::new_v4());
        assert_eq!(document_scope(&relay, &unknown).unwrap(), None);
    }

    #[test]
    fn a_record_posing_as_another_document_changes_no_scope() {
        let dir = tempfile::tempdir().unwrap();
        let (mut relay, data) = demo_relay(&dir);
        let (own, victim) = (&data.visits[0].0, &data.visits[2].0);
        assert_ne!(own.plan.school_id, victim.plan.school_id);
        let victim_log = DocId::new(DocKind::VisitLog, victim.plan.id.uuid());
        let before = document_scope(&relay, &victim_log).unwrap();
        // Her own log naming the other school's visit, under a new id (its root id rewritten too).
        let posing = VisitLog { plan: VisitPlan { id: victim.plan.id, ..own.plan.clone() }, ..own.clone() };
        let forged = DocId::new(DocKind::VisitLog, uuid::Uuid::new_v4());
        let mut doc = create_record(&posing, &ActorId::random()).unwrap();
        doc.put(automerge::ROOT, "id", forged.id.hyphenated().to_string()).unwrap();
        doc.commit();
        assert!(relay.merge_document_bytes(&forged, &doc.save()).is_err());
        assert_eq!(document_scope(&relay, &forged).unwrap(), None);
        assert_eq!(document_scope(&relay, &victim_log).unwrap(), before);
    }

    #[test]
    fn the_relay_keeps_its_own_tables_and_no_phone_screen_table() {
        let dir = tempfile::tempdir().unwrap();
        let (relay, _) = demo_relay(&dir);
        let tables = tables(&relay);
        for own in [
            "doc_scopes",
            "visit_contributors",
            "device_usage",
            "documents",
            "sync_marks",
            "visit_attestations",
            "family_declines",
        ] {
            assert!(tables.iter().any(|t| t == own), "{own} missing from {tables:?}");
        }
        for phone in ["school_index", "educator_index", "family_index", "visit_index", "visit_educators"] {
            assert!(!tables.iter().any(|t| t == phone), "{phone} on the relay");
        }
    }

    /// A relay whose visits were stored before it kept attestations (`demo_relay` merges documents
    /// without recording any): the first change is judged against what it held, which is recorded.
    #[test]
    fn a_visit_stored_before_attestations_is_judged_against_what_the_relay_held() {
        use crate::access::Role;
        use crate::attest::{BEFORE, judge_visit_log};
        let dir = tempfile::tempdir().unwrap();
        let (mut relay, data) = demo_relay(&dir);
        let log = data.visits.iter().map(|(l, _)| l).find(|l| l.is_documented()).unwrap().clone();
        let visit = log.plan.id;
        let recorder = log.outcome.recorded_by.unwrap();
        let partner = log.outcome.partner_confirmation.as_ref().unwrap().educator_id;
        let agreed = log.plan.family_agreement.as_ref().unwrap().recorded_by;
        assert_eq!(attested(&relay, visit).unwrap(), None);
        // The confirmation rewritten to another educator of the visit, by the recorder: refused.
        let mut forged = log.clone();
        forged.outcome.partner_confirmation.as_mut().unwrap().educator_id = recorder;
        forged.outcome.recorded_by = Some(partner);
        assert_eq!(judge_visit_log(&forged, false, &Role::Educator(partner), &mut relay).unwrap(), None);
        // An honest edit: accepted, and what the relay held becomes the baseline.
        let effects = judge_visit_log(&log, false, &Role::Educator(recorder), &mut relay).unwrap().unwrap();
        for effect in &effects {
            record_effect(&relay, effect, "a-device").unwrap();
        }
        let rows = attestations(&relay, visit).unwrap();
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.device == BEFORE), "{rows:?}");
        assert_eq!(attested(&relay, visit).unwrap(), Some([Some(recorder), Some(agreed), Some(partner)]));
    }

    #[test]
    fn a_relay_made_before_families_were_recorded_finds_them_after_the_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let (relay, data) = demo_relay(&dir);
        let (log, _) = &data.visits[0];
        let family = log.plan.family_id;
        let expected = family_documents(&relay, family).unwrap();
        assert!(expected.contains(&DocId::new(DocKind::Family, family.uuid())));
        assert!(expected.contains(&DocId::new(DocKind::VisitLog, log.plan.id.uuid())));
        // As a relay built at index version 1 was: no family recorded.
        relay
            .index_tables()
            .execute_batch("DELETE FROM doc_families; UPDATE meta SET value = 1 WHERE key = 'index_version:relay';")
            .unwrap();
        assert!(family_documents(&relay, family).unwrap().is_empty());
        drop(relay);
        let key = DbKey::from_bytes([3; 32]);
        let relay = RelayStore::open_indexed(dir.path().join("documents.db"), &key, StoreOptions::default()).unwrap();
        assert_eq!(family_documents(&relay, family).unwrap(), expected);
    }

    #[test]
    fn a_relay_made_before_the_split_loses_its_phone_tables_and_keeps_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let (relay, data) = demo_relay(&dir);
        let visit = data.visits[0].0.plan.id;
        let educator = data.visits[0].0.plan.educator_ids[0];
        record_contributor(&relay, visit, educator).unwrap();
        // As the relay's file was before the split: the phone's tables in it, with names, and
        // neither index's versions recorded.
        relay
            .index_tables()
            .execute_batch(
                "CREATE TABLE family_index (family_id TEXT PRIMARY KEY, display_name TEXT NOT NULL);
                 INSERT INTO family_index VALUES ('f', 'a family name');
                 DELETE FROM meta WHERE key IN ('schema:relay', 'index_version:relay');",
            )
            .unwrap();
        drop(relay);
        let key = DbKey::from_bytes([3; 32]);
        let relay = RelayStore::open_indexed(dir.path().join("documents.db"), &key, StoreOptions::default()).unwrap();
        assert!(!tables(&relay).iter().any(|t| t == "family_index"));
        assert_eq!(contributors(&relay, visit).unwrap(), vec![educator]);
        let log = DocId::new(DocKind::VisitLog, visit.uuid());
        assert_eq!(document_scope(&relay, &log).unwrap().unwrap().visit, Some(visit));
    }
}
