//! Deletion, export and retention in PostgreSQL: a family's documents from the `documents` rows'
//! recorded family, deleting them with every row of their history (sync states and marks, visit
//! contributors), tombstones and receipts. The document bytes were sealed with the relay key; a
//! plain `VACUUM` then marks the deleted tuples' space free (it does not overwrite them, nor does
//! it reach PostgreSQL's WAL or backups: see the README on `VACUUM FULL`).

use homevisit_docs::{DocId, DocKind};
use homevisit_model::{FamilyId, SchoolId};
use homevisit_sync::DeviceId;
use postgres::{Client, Transaction};

use crate::RelayError;
use crate::deletion::{self, DeletionReceipt};

/// Deletes the rows of the documents `ids`: the documents themselves (and what cascades: their
/// listing as unloaded) and every device's sync state and mark of them.
pub(super) fn delete_documents(tx: &mut Transaction<'_>, ids: &[String]) -> Result<(), postgres::Error> {
    tx.execute("DELETE FROM sync_states WHERE doc_id = ANY($1)", &[&ids])?;
    tx.execute("DELETE FROM sync_marks WHERE doc_id = ANY($1)", &[&ids])?;
    tx.execute("DELETE FROM documents WHERE doc_id = ANY($1)", &[&ids])?;
    Ok(())
}

fn ids(rows: &[postgres::Row]) -> Vec<DocId> {
    rows.iter().filter_map(|r| r.get::<_, String>(0).parse().ok()).collect()
}

pub(super) fn document_ids(c: &mut Client, kind: DocKind) -> Result<Vec<DocId>, RelayError> {
    let prefix = format!("{}/%", kind.as_str());
    Ok(ids(&c.query("SELECT doc_id FROM documents WHERE doc_id LIKE $1 ORDER BY doc_id", &[&prefix])?))
}

/// The stored documents whose recorded scope is `school` (for notes, their visit log's); `None`:
/// every school's (prompt packs are no school's and never listed).
pub(super) fn school_documents(
    c: &mut Client,
    school: Option<homevisit_model::SchoolId>,
) -> Result<Vec<DocId>, RelayError> {
    let rows = c.query(
        "SELECT d.doc_id FROM documents d
         LEFT JOIN documents g ON d.doc_id LIKE 'visit-notes/%' AND g.doc_id = 'visit-log/' || substr(d.doc_id, 13)
         WHERE d.doc_id NOT LIKE 'prompt-pack/%'
           AND (coalesce(d.school_id, g.school_id) = $1 OR ($1::text IS NULL AND coalesce(d.school_id, g.school_id) IS NOT NULL))
         ORDER BY d.doc_id",
        &[&school.map(|s| s.to_string())],
    )?;
    Ok(ids(&rows))
}

pub(super) fn family_documents(c: &mut Client, family: FamilyId) -> Result<Vec<DocId>, RelayError> {
    let rows = c.query(
        "SELECT doc_id FROM documents WHERE family_id = $1 AND (doc_id LIKE 'family/%' OR doc_id LIKE 'visit-log/%')
         UNION
         SELECT n.doc_id FROM documents n JOIN documents g ON g.doc_id = 'visit-log/' || substr(n.doc_id, 13)
          WHERE n.doc_id LIKE 'visit-notes/%' AND g.family_id = $1
         ORDER BY 1",
        &[&family.to_string()],
    )?;
    Ok(ids(&rows))
}

pub(super) fn delete(c: &mut Client, receipt: &DeletionReceipt) -> Result<(), RelayError> {
    let mut ids: Vec<String> = receipt.documents.iter().map(|d| d.to_string()).collect();
    ids.sort();
    let mut tx = c.transaction()?;
    // Each document's lock, as every writer takes it (in id order): a write in flight finishes
    // first, and one after this commits finds the tombstone (`PgDocs::write_checked`).
    for id in &ids {
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[id])?;
    }
    let (reason, family) = deletion::reason_columns(receipt.reason);
    tx.execute(
        "INSERT INTO deletion_receipts (receipt_id, reason, family_id, doc_ids, deleted_at, deleted_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &receipt.id.to_string(),
            &reason,
            &family,
            &ids.join(","),
            &receipt.deleted_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            &receipt.deleted_by,
        ],
    )?;
    // Tombstones first, with the school recorded for each (for notes, their visit log's), read
    // before the rows go.
    for doc in &receipt.documents {
        tx.execute(
            "INSERT INTO deleted_documents (doc_id, receipt_id, school_id)
             VALUES ($1, $2, (SELECT school_id FROM documents WHERE doc_id = $3)) ON CONFLICT DO NOTHING",
            &[&doc.to_string(), &receipt.id.to_string(), &homevisit_docs::governing_doc(doc).to_string()],
        )?;
    }
    let visits: Vec<String> = receipt
        .documents
        .iter()
        .filter(|d| matches!(d.kind, DocKind::VisitLog | DocKind::VisitNotes))
        .map(|d| d.id.to_string())
        .collect();
    delete_documents(&mut tx, &ids)?;
    if receipt.documents.iter().any(|d| d.kind == DocKind::VisitLog) {
        // The relay's records of the visits go with them: who wrote, who attested, declines.
        tx.execute("DELETE FROM visit_contributors WHERE visit_id = ANY($1)", &[&visits])?;
        tx.execute("DELETE FROM visit_attestations WHERE visit_id = ANY($1)", &[&visits])?;
        tx.execute("DELETE FROM family_declines WHERE visit_id = ANY($1)", &[&visits])?;
    }
    let families: Vec<String> =
        receipt.documents.iter().filter(|d| d.kind == DocKind::Family).map(|d| d.id.to_string()).collect();
    tx.execute("DELETE FROM family_declines WHERE family_id = ANY($1)", &[&families])?;
    tx.commit()?;
    // Outside the transaction (VACUUM cannot run in one): the deleted tuples' space is reclaimed.
    c.batch_execute(
        "VACUUM documents, sync_states, sync_marks, visit_contributors, visit_attestations, family_declines",
    )?;
    Ok(())
}

pub(super) fn receipts(c: &mut Client) -> Result<Vec<DeletionReceipt>, RelayError> {
    let rows = c.query(
        "SELECT receipt_id, reason, family_id, doc_ids, deleted_at, deleted_by FROM deletion_receipts
         ORDER BY deleted_at, receipt_id",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            let id: String = r.get(0);
            let confirmations = c
                .query(
                    "SELECT c.device_id, max(c.confirmed_at) FROM deletion_confirmations c
                     JOIN deleted_documents d ON d.doc_id = c.doc_id
                     WHERE d.receipt_id = $1 GROUP BY c.device_id
                     HAVING count(*) = (SELECT count(*) FROM deleted_documents WHERE receipt_id = $1)
                     ORDER BY 2, 1",
                    &[&id],
                )?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let family: Option<String> = r.get(2);
            deletion::receipt_from_row(&id, r.get(1), family.as_deref(), r.get(3), r.get(4), r.get(5), confirmations)
        })
        .collect()
}

pub(super) fn confirm_deleted(
    c: &mut Client,
    device: &DeviceId,
    school: SchoolId,
    docs: &[DocId],
) -> Result<(), RelayError> {
    let ids: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    c.execute(
        "INSERT INTO deletion_confirmations (doc_id, device_id, confirmed_at)
         SELECT doc_id, $2, $3 FROM deleted_documents WHERE doc_id = ANY($1) AND school_id = $4
         ON CONFLICT DO NOTHING",
        &[&ids, &device.as_str(), &now, &school.to_string()],
    )?;
    Ok(())
}

pub(super) fn pending_deletions(
    c: &mut Client,
    device: &DeviceId,
    school: SchoolId,
    limit: usize,
) -> Result<Vec<DocId>, RelayError> {
    let rows = c.query(
        "SELECT d.doc_id FROM deleted_documents d
         WHERE d.school_id = $1
           AND NOT EXISTS (SELECT 1 FROM deletion_confirmations c WHERE c.doc_id = d.doc_id AND c.device_id = $2)
         ORDER BY d.doc_id LIMIT $3",
        &[&school.to_string(), &device.as_str(), &(limit as i64)],
    )?;
    Ok(ids(&rows))
}
