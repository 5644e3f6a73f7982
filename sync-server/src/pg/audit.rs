//! The audit trail in PostgreSQL ([`AuditLog`]), shared by every instance: appends are
//! serialized (a transaction-scoped advisory lock) so the chain of hashes has one order; the
//! table refuses `UPDATE` and `DELETE` (a trigger, `audit.sql`).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::audit::{Actor, AuditEntry, AuditError, AuditEvent, AuditLog, MAX_LISTED, chain_hash};
use crate::pg::pool::Pool;

/// The audit table and its trigger (run at every start, idempotent).
pub(crate) const SCHEMA: &str = include_str!("audit.sql");

/// Serializes appends across instances (any constant shared by all of them).
const AUDIT_LOCK: i64 = 0x6175_6469_742d_6c6f; // "audit-lo"

impl From<postgres::Error> for AuditError {
    fn from(e: postgres::Error) -> Self {
        AuditError::Database(format!("postgres: {e}"))
    }
}

impl From<crate::pg::pool::PoolError> for AuditError {
    fn from(e: crate::pg::pool::PoolError) -> Self {
        AuditError::Database(format!("postgres: {e}"))
    }
}

pub(crate) struct PgAudit {
    pub(crate) pool: Arc<Pool>,
}

impl AuditLog for PgAudit {
    fn append(&self, actor: &Actor, events: &[AuditEvent]) -> Result<(), AuditError> {
        let actor = actor.to_string();
        let at = Utc::now().timestamp_millis();
        self.pool.run(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])?;
            let last = tx.query_opt("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &[])?;
            let (mut seq, mut prev): (i64, Vec<u8>) = last.map_or((0, Vec::new()), |r| (r.get(0), r.get(1)));
            for event in events {
                let (action, subject, detail) = event.columns();
                seq += 1;
                let hash = chain_hash(&prev, seq, at, &actor, action, &subject, &detail);
                tx.execute(
                    "INSERT INTO audit_log (seq, at, actor, action, subject, detail, hash)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&seq, &at, &actor, &action, &subject, &detail, &hash],
                )?;
                prev = hash;
            }
            tx.commit()?;
            Ok::<_, AuditError>(())
        })
    }

    fn entries(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, AuditError> {
        let limit = limit.min(MAX_LISTED) as i64;
        self.pool.run(|c| {
            let rows = c.query(
                "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&after, &limit],
            )?;
            Ok(rows
                .iter()
                .map(|r| AuditEntry {
                    seq: r.get(0),
                    at: DateTime::from_timestamp_millis(r.get(1)).unwrap_or_default(),
                    actor: r.get(2),
                    action: r.get(3),
                    subject: r.get(4),
                    detail: r.get(5),
                    hash: r.get(6),
                })
                .collect())
        })
    }
}
