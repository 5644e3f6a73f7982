//! A family's right to its records: export everything the relay holds about one family, delete it
//! with its history (tombstones refuse it back; a receipt says what, when and by whom, without any
//! of the deleted content), and the district's notes retention, which purges the same way.
//!
//! A family's documents are found from the relay's own records (each document's scope, recorded
//! under its id when it passed `homevisit_docs::check`): its family record, the visit logs whose
//! recorded family it is, and those visits' notes. Never from what a document says of others.

use std::path::Path;

use chrono::{DateTime, Months, Utc};
use homevisit_docs::{Content, DocId, DocKind};
use homevisit_model::{FamilyId, VisitId};
use homevisit_sync::DeviceId;

use crate::audit::AuditEvent;
use crate::{Relay, RelayError};

/// Why documents were deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionReason {
    /// A family asked (`family delete`).
    Family(FamilyId),
    /// The district's notes retention (`retention apply`).
    Retention,
}

/// What was deleted, when and by whom, and which devices have confirmed deleting it: ids and
/// times only, none of the deleted content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionReceipt {
    pub id: uuid::Uuid,
    pub reason: DeletionReason,
    /// Every id now refused (tombstoned): the documents deleted, and for a family, the notes ids
    /// of its visits even where the relay held no notes (a device may hold some).
    pub documents: Vec<DocId>,
    pub deleted_at: DateTime<Utc>,
    /// Who asked: `operator` (whoever runs `homevisit-relay` on the relay's host).
    pub deleted_by: String,
    /// Devices that have confirmed deleting these documents, and when.
    pub confirmations: Vec<(DeviceId, DateTime<Utc>)>,
}

impl DeletionReceipt {
    fn new(reason: DeletionReason, documents: Vec<DocId>) -> Self {
        Self {
            id: uuid::Uuid::new_v4(),
            reason,
            documents,
            deleted_at: Utc::now(),
            deleted_by: "operator".into(),
            confirmations: Vec::new(),
        }
    }

    /// The receipt as a few lines of text (ids, times and counts only).
    pub fn describe(&self) -> String {
        let what = match self.reason {
            DeletionReason::Family(f) => format!("family {f}"),
            DeletionReason::Retention => "retention".into(),
        };
        let mut out = format!(
            "receipt {}\n  what: {what}, {} document ids\n  when: {}\n  by: {}\n",
            self.id,
            self.documents.len(),
            self.deleted_at.format("%Y-%m-%dT%H:%M:%SZ"),
            self.deleted_by
        );
        for doc in &self.documents {
            out.push_str(&format!("  document {doc}\n"));
        }
        for (device, at) in &self.confirmations {
            out.push_str(&format!("  confirmed by device {device} at {}\n", at.format("%Y-%m-%dT%H:%M:%SZ")));
        }
        out
    }
}

/// Everything the relay holds about one family, as its documents.
pub struct FamilyExport {
    pub family: FamilyId,
    /// Each stored document of the family, as JSON (`homevisit_docs::to_json`), in id order.
    pub documents: Vec<(DocId, serde_json::Value)>,
    /// One row per visit: visit id, scheduled date (UTC), status, place kind, visit number,
    /// educator ids (`;`-separated).
    pub visits: Vec<[String; 6]>,
    /// One row per notes field: visit id, field (its path in the notes document), text.
    pub notes: Vec<[String; 3]>,
}

impl FamilyExport {
    /// Writes `family.json`, `visits.csv` and `notes.csv` into `dir` (created if missing; files
    /// readable by this user only).
    pub fn write_to(&self, dir: &Path) -> Result<(), RelayError> {
        std::fs::create_dir_all(dir).map_err(|e| RelayError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let documents: serde_json::Map<String, serde_json::Value> =
            self.documents.iter().map(|(id, json)| (id.to_string(), json.clone())).collect();
        let json = serde_json::json!({ "family_id": self.family.to_string(), "documents": documents });
        let json = serde_json::to_vec_pretty(&json).map_err(|e| RelayError::Io(e.to_string()))?;
        write_private(&dir.join("family.json"), &json)?;
        let mut visits = csv_row(&["visit_id", "scheduled_at", "status", "place_kind", "visit_number", "educator_ids"]);
        for row in &self.visits {
            visits.push_str(&csv_row(row));
        }
        write_private(&dir.join("visits.csv"), visits.as_bytes())?;
        let mut notes = csv_row(&["visit_id", "field", "text"]);
        for row in &self.notes {
            notes.push_str(&csv_row(row));
        }
        write_private(&dir.join("notes.csv"), notes.as_bytes())
    }
}

/// Writes `bytes` to `path`, readable by this user only (mode 0600, also when the file existed
/// before with another mode: set before anything is written).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), RelayError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(|e| RelayError::Io(format!("cannot write {}: {e}", path.display())))?;
    #[cfg(unix)]
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(|e| RelayError::Io(format!("cannot restrict {}: {e}", path.display())))?;
    std::io::Write::write_all(&mut f, bytes)
        .map_err(|e| RelayError::Io(format!("cannot write {}: {e}", path.display())))
}

/// One CSV line (RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled).
fn csv_row<S: AsRef<str>>(fields: &[S]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            let f = f.as_ref();
            if f.contains([',', '"', '\n', '\r']) { format!("\"{}\"", f.replace('"', "\"\"")) } else { f.to_string() }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

/// Every text leaf of a notes document, with its path (`a.b`, list items by index).
fn text_fields(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    let join = |key: &str| if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
    match value {
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| text_fields(&join(k), v, out)),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| text_fields(&join(&i.to_string()), v, out))
        }
        _ => {}
    }
}

/// The tombstones of a family's deletion: its documents, and the notes id of every visit of it.
fn family_tombstones(family: FamilyId, stored: &[DocId]) -> Vec<DocId> {
    let mut ids: Vec<DocId> = stored.to_vec();
    ids.push(DocId::new(DocKind::Family, family.uuid()));
    for doc in stored.iter().filter(|d| d.kind == DocKind::VisitLog) {
        ids.push(DocId::new(DocKind::VisitNotes, doc.id));
    }
    ids.sort();
    ids.dedup();
    ids
}

/// The relay setting that holds the notes retention.
pub(crate) const NOTES_MONTHS: &str = "notes_months";

impl Relay {
    /// The stored documents of `family` (its record, its visits' logs and notes), from the
    /// relay's records.
    pub fn family_documents(&self, family: FamilyId) -> Result<Vec<DocId>, RelayError> {
        self.backend.family_documents(family)
    }

    /// Everything the relay holds about `family`. An unknown family is an error.
    pub fn export_family(&self, family: FamilyId) -> Result<FamilyExport, RelayError> {
        let ids = self.family_documents(family)?;
        if ids.is_empty() {
            return Err(RelayError::Io(format!("no family {family} on this relay")));
        }
        let mut export = FamilyExport { family, documents: Vec::new(), visits: Vec::new(), notes: Vec::new() };
        for id in ids {
            let Some(doc) = self.document(&id)? else { continue };
            let json = homevisit_docs::to_json(&doc);
            match homevisit_docs::check(&id, &doc) {
                Ok(Content::VisitLog(log)) => export.visits.push([
                    log.plan.id.to_string(),
                    log.plan.scheduled_at.0.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    log.outcome.status.as_str().to_string(),
                    log.plan.place.kind().to_string(),
                    log.plan.visit_number.number().to_string(),
                    log.plan.educator_ids.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(";"),
                ]),
                Ok(Content::VisitNotes) => {
                    let mut fields = Vec::new();
                    text_fields("", &json, &mut fields);
                    let visit = VisitId(id.id).to_string();
                    export.notes.extend(fields.into_iter().map(|(field, text)| [visit.clone(), field, text]));
                }
                _ => {}
            }
            export.documents.push((id, json));
        }
        self.audit_operator(&[AuditEvent::FamilyExported { family, documents: export.documents.len() as u64 }])?;
        Ok(export)
    }

    /// Deletes `family` from the relay with its history: its documents and every row of them,
    /// tombstones so no device can bring them back, and a receipt. An unknown family is an error.
    pub fn delete_family(&self, family: FamilyId) -> Result<DeletionReceipt, RelayError> {
        let stored = self.family_documents(family)?;
        if stored.is_empty() {
            return Err(RelayError::Io(format!("no family {family} on this relay")));
        }
        let receipt = DeletionReceipt::new(DeletionReason::Family(family), family_tombstones(family, &stored));
        self.delete(receipt)
    }

    fn delete(&self, receipt: DeletionReceipt) -> Result<DeletionReceipt, RelayError> {
        self.backend.delete(&receipt)?;
        self.audit_operator(&[AuditEvent::Deleted { receipt: receipt.id, documents: receipt.documents.len() as u64 }])?;
        Ok(receipt)
    }

    /// Every deletion receipt, oldest first, with the devices that confirmed it.
    pub fn deletion_receipts(&self) -> Result<Vec<DeletionReceipt>, RelayError> {
        self.backend.receipts()
    }

    /// Sets the district's notes retention: visit notes of visits scheduled more than `months`
    /// months ago are purged by [`Relay::apply_retention`] (0: kept until deleted).
    pub fn set_notes_retention(&self, months: u32) -> Result<(), RelayError> {
        self.backend.set_setting(NOTES_MONTHS, &months.to_string())?;
        self.audit_operator(&[AuditEvent::RetentionSet { notes_months: months }])
    }

    /// The district's notes retention in months (0: none set).
    pub fn notes_retention(&self) -> Result<u32, RelayError> {
        Ok(self.backend.setting(NOTES_MONTHS)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Purges the notes of every visit scheduled before `now` less the retention, as a deletion
    /// (tombstones, a receipt). `None` if no retention is set or nothing is that old.
    pub fn apply_retention(&self, now: DateTime<Utc>) -> Result<Option<DeletionReceipt>, RelayError> {
        let months = self.notes_retention()?;
        if months == 0 {
            return Ok(None);
        }
        let cutoff = now
            .checked_sub_months(Months::new(months))
            .ok_or_else(|| RelayError::Io("the retention reaches before the calendar".into()))?;
        let mut old = Vec::new();
        // Each visit with notes: its log says when it was (a log that does not check is skipped).
        for notes in self.backend.document_ids(DocKind::VisitNotes)? {
            let log_id = DocId::new(DocKind::VisitLog, notes.id);
            let Some(doc) = self.document(&log_id)? else { continue };
            let Ok(Content::VisitLog(log)) = homevisit_docs::check(&log_id, &doc) else { continue };
            if log.plan.scheduled_at.0 < cutoff {
                old.push(notes);
            }
        }
        if old.is_empty() {
            return Ok(None);
        }
        self.delete(DeletionReceipt::new(DeletionReason::Retention, old)).map(Some)
    }
}

/// A sync request's part in deletions (protocol version 3; an older device is neither told nor
/// asked): records the deletions the device confirms, and tells it the deleted documents of its
/// school it has not confirmed (at most a batch's worth; the rest in later answers). A device's
/// confirmation is its word: a hostile one can confirm without deleting (the relay still refuses
/// the documents from it).
pub(crate) fn exchange(
    relay: &Relay,
    device: &crate::Device,
    batch: &homevisit_protocol::SyncBatch,
    reply: &mut homevisit_protocol::SyncBatch,
) -> Result<(), RelayError> {
    if batch.version < 3 {
        return Ok(());
    }
    if !batch.confirmed_deleted.is_empty() {
        let docs: Vec<DocId> = batch.confirmed_deleted.iter().filter_map(|w| DocId::try_from(*w).ok()).collect();
        relay.backend.confirm_deleted(&device.device_id, device.school_id, &docs)?;
    }
    let pending =
        relay.backend.pending_deletions(&device.device_id, device.school_id, homevisit_protocol::MAX_BATCH_MESSAGES)?;
    reply.deleted = pending.into_iter().map(Into::into).collect();
    Ok(())
}

/// A receipt's reason as stored (`reason`, `family_id` columns), and back.
pub(crate) fn reason_columns(reason: DeletionReason) -> (&'static str, Option<String>) {
    match reason {
        DeletionReason::Family(f) => ("family", Some(f.to_string())),
        DeletionReason::Retention => ("retention", None),
    }
}

pub(crate) fn reason_from_columns(reason: &str, family: Option<&str>) -> Option<DeletionReason> {
    match (reason, family) {
        ("family", Some(f)) => f.parse().ok().map(DeletionReason::Family),
        ("retention", _) => Some(DeletionReason::Retention),
        _ => None,
    }
}

/// A stored receipt row, parsed (a row that does not parse is an error about it, never a guess).
#[allow(clippy::too_many_arguments)]
pub(crate) fn receipt_from_row(
    id: &str,
    reason: &str,
    family: Option<&str>,
    doc_ids: &str,
    deleted_at: &str,
    deleted_by: String,
    confirmations: Vec<(String, String)>,
) -> Result<DeletionReceipt, RelayError> {
    let bad = || RelayError::Io(format!("deletion receipt {id} is damaged"));
    let time = |t: &str| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)).map_err(|_| bad());
    Ok(DeletionReceipt {
        id: id.parse().map_err(|_| bad())?,
        reason: reason_from_columns(reason, family).ok_or_else(bad)?,
        documents: doc_ids
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|d| d.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?,
        deleted_at: time(deleted_at)?,
        deleted_by,
        confirmations: confirmations
            .iter()
            .map(|(d, t)| Ok((d.parse().map_err(|_| bad())?, time(t)?)))
            .collect::<Result<_, RelayError>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(
            csv_row(&["a", "b,c", "say \"hi\"", "two\nlines"]),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn notes_text_fields_are_flattened_with_their_paths() {
        let json = serde_json::json!({"hopes": "a", "debrief": {"went_well": "b"}, "list": ["c"], "n": 3});
        let mut out = Vec::new();
        text_fields("", &json, &mut out);
        out.sort();
        assert_eq!(
            out,
            vec![
                ("debrief.went_well".to_string(), "b".to_string()),
                ("hopes".to_string(), "a".to_string()),
                ("list.0".to_string(), "c".to_string())
            ]
        );
    }
}
