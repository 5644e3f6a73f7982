//! The embedded relay's audit trail ([`AuditLog`]): its own encrypted SQLite file beside the
//! documents (`audit.db`), whose table refuses `UPDATE` and `DELETE` (triggers).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use homevisit_store::{DbKey, EncryptedConnection};
use rusqlite::{OpenFlags, OptionalExtension, params};

use crate::audit::{Actor, AuditEntry, AuditError, AuditEvent, AuditLog, MAX_LISTED, chain_hash};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_log (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL,
    hash    BLOB NOT NULL
) STRICT;
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

pub struct SqliteAudit {
    conn: Mutex<EncryptedConnection>,
}

impl SqliteAudit {
    pub fn open(path: &Path, key: &DbKey) -> Result<Self, AuditError> {
        let conn = homevisit_store::open_encrypted(path, key, OpenFlags::default())
            .map_err(|e| AuditError::Database(e.to_string()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, EncryptedConnection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl AuditLog for SqliteAudit {
    fn append(&self, actor: &Actor, events: &[AuditEvent]) -> Result<(), AuditError> {
        let actor = actor.to_string();
        let at = Utc::now().timestamp_millis();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let last: Option<(i64, Vec<u8>)> = tx
            .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (mut seq, mut prev) = last.unwrap_or((0, Vec::new()));
        for event in events {
            let (action, subject, detail) = event.columns();
            seq += 1;
            let hash = chain_hash(&prev, seq, at, &actor, action, &subject, &detail);
            tx.execute(
                "INSERT INTO audit_log (seq, at, actor, action, subject, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![seq, at, actor, action, subject, detail, hash],
            )?;
            prev = hash;
        }
        tx.commit()?;
        Ok(())
    }

    fn entries(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = statement.query_map(params![after, limit.min(MAX_LISTED) as i64], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: DateTime::from_timestamp_millis(r.get(1)?).unwrap_or_default(),
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                detail: r.get(5)?,
                hash: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::audit::{all_entries, first_broken};
    use homevisit_model::SchoolId;

    #[test]
    fn entries_are_appended_chained_and_cannot_be_changed_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let key = DbKey::from_bytes([0x22; 32]);
        let path = dir.path().join("audit.db");
        let log = SqliteAudit::open(&path, &key).unwrap();
        let school = SchoolId::new();
        log.append(&Actor::Operator, &[AuditEvent::Invited { school, role: Role::SchoolCoordinator }]).unwrap();
        log.append(&Actor::Operator, &[AuditEvent::PolicySet { school, coordinators_read_notes: true }]).unwrap();
        drop(log);
        let log = SqliteAudit::open(&path, &key).unwrap();
        log.append(&Actor::Operator, &[AuditEvent::Imported { documents: 7 }]).unwrap();
        let entries = all_entries(&log).unwrap();
        assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(entries[0].action, "invited");
        assert_eq!(entries[0].subject, school.to_string());
        assert_eq!(first_broken(&entries), None);
        assert_eq!(log.entries(1, 1).unwrap()[0].seq, 2);

        // The table refuses changes, whoever holds the key.
        let conn = log.conn();
        for sql in ["UPDATE audit_log SET detail = 'x' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2"] {
            let err = conn.execute(sql, []).unwrap_err().to_string();
            assert!(err.contains("append-only"), "{err}");
        }
        // Dropping the triggers to forge an entry is caught by the chain.
        conn.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = 'x' WHERE seq = 2;")
            .unwrap();
        drop(conn);
        assert_eq!(first_broken(&all_entries(&log).unwrap()), Some(2));
    }
}
