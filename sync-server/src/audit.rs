//! The relay's audit trail: an append-only log of administrative actions (invites, enrollments,
//! revocations, policy changes, imports) and of what the relay refused devices (writes, reads), so a district can answer
//! "who did what, and what was turned away".
//!
//! **Ids and codes, never content.** An entry is built only from typed values ([`AuditEvent`]):
//! device, school, educator and document ids, a role, a refusal reason, counts. There is no field
//! a name or a note could go into.
//!
//! **Append-only, and tamper-evident.** Each storage refuses `UPDATE` and `DELETE` on its table (a
//! trigger), and every entry carries a SHA-256 chained over the one before it ([`chain_hash`]), so
//! an entry rewritten or removed behind the relay's back (by someone with the database file and its
//! key) breaks the chain from there on: `homevisit-relay audit --verify` finds where.
//!
//! **Bounded.** A hostile device can make the relay refuse writes at will; its refusals are
//! audited up to [`REFUSALS_PER_MINUTE`] a minute per device (the rest are counted in the
//! `homevisit_relay_audit_suppressed_total` metric, so a flood is visible without filling the disk).
//! Implementations: `crate::embedded_audit` (its own encrypted file, `audit.db`), `crate::pg::audit`.

use std::fmt;

use chrono::{DateTime, Utc};
use homevisit_docs::DocId;
use homevisit_model::{EducatorId, FamilyId, SchoolId};
use homevisit_protocol::RejectReason;
use homevisit_sync::DeviceId;
use sha2::{Digest, Sha256};

use crate::Relay;
use crate::access::Role;

/// Refused writes audited per device per minute; the rest are counted, not written.
pub const REFUSALS_PER_MINUTE: u32 = 60;

/// Entries one listing returns at most.
pub const MAX_LISTED: usize = 10_000;

/// Who did it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    /// Whoever runs `homevisit-relay` on the relay's host (its administration commands).
    Operator,
    /// An enrolled device.
    Device(DeviceId),
    /// A coordinator's or district administrator's dashboard account (by id, never its username).
    DashboardAccount(uuid::Uuid),
}

/// What was done, with the ids it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditEvent {
    Invited {
        school: SchoolId,
        role: Role,
    },
    Enrolled {
        device: DeviceId,
        school: SchoolId,
        role: Role,
    },
    Revoked {
        device: DeviceId,
    },
    PolicySet {
        school: SchoolId,
        coordinators_read_notes: bool,
    },
    /// Documents merged by an administrator's import (the demo district).
    Imported {
        documents: u64,
    },
    /// A roster import (`roster import`): records created and records changed.
    RosterImported {
        created: u64,
        changed: u64,
    },
    /// An educator's training date set (`educator train`).
    EducatorTrained {
        educator: EducatorId,
    },
    /// A document the relay refused a device (a write it may not make, bytes it would not store,
    /// or a document it may not read): the document and why.
    Refused {
        doc: DocId,
        reason: RejectReason,
    },
    /// Everything held about a family was exported (`family export`): how many documents.
    FamilyExported {
        family: FamilyId,
        documents: u64,
    },
    /// Documents deleted with their history (`family delete`, `retention apply`), under a
    /// deletion receipt: its id and how many documents.
    Deleted {
        receipt: uuid::Uuid,
        documents: u64,
    },
    /// The district's notes retention was set (months; 0: keep notes until deleted).
    RetentionSet {
        notes_months: u32,
    },
    /// A dashboard account was made by the operator (`dashboard-account`, the demo): its id,
    /// school and role (never its username).
    DashboardAccountCreated {
        account: uuid::Uuid,
        school: SchoolId,
        role: Role,
    },
    /// A dashboard account was set up from an invite by whoever held it (the actor is the new
    /// account): its school and role.
    DashboardAccountSetUp {
        school: SchoolId,
        role: Role,
    },
    /// The operator gave a dashboard account a new password (`dashboard-password`): its sessions
    /// ended, its lock cleared.
    DashboardPasswordReset {
        account: uuid::Uuid,
    },
    /// A dashboard account was locked after repeated failed sign-ins.
    DashboardLocked {
        account: uuid::Uuid,
    },
    /// A coordinator set or cleared an educator's stipend "paid" mark for a pay period
    /// (`YYYY-MM-DD..YYYY-MM-DD`) of a school.
    StipendMarked {
        school: SchoolId,
        educator: EducatorId,
        period: String,
        paid: bool,
    },
    /// The district's stipend rate was set (cents per documented visit).
    StipendRateSet {
        cents: u64,
    },
    /// A report was exported (`export`): which, for which school (`None`: every school), how
    /// many rows.
    ReportExported {
        report: crate::exports::ExportKind,
        school: Option<SchoolId>,
        rows: u64,
    },
}

impl AuditEvent {
    /// The entry's `action`, `subject` and `detail` columns.
    pub fn columns(&self) -> (&'static str, String, String) {
        match self {
            AuditEvent::Invited { school, role } => ("invited", school.to_string(), role.as_str().into()),
            AuditEvent::Enrolled { device, school, role } => {
                ("enrolled", device.to_string(), format!("{} {school}", role.as_str()))
            }
            AuditEvent::Revoked { device } => ("revoked", device.to_string(), String::new()),
            AuditEvent::PolicySet { school, coordinators_read_notes } => {
                ("policy", school.to_string(), format!("coordinators_read_notes={coordinators_read_notes}"))
            }
            AuditEvent::Imported { documents } => ("imported", String::new(), format!("documents={documents}")),
            AuditEvent::RosterImported { created, changed } => {
                ("roster_imported", String::new(), format!("created={created} changed={changed}"))
            }
            AuditEvent::EducatorTrained { educator } => ("educator_trained", educator.to_string(), String::new()),
            AuditEvent::Refused { doc, reason } => ("refused", doc.to_string(), reason_code(*reason).into()),
            AuditEvent::FamilyExported { family, documents } => {
                ("exported", family.to_string(), format!("documents={documents}"))
            }
            AuditEvent::Deleted { receipt, documents } => {
                ("deleted", receipt.to_string(), format!("documents={documents}"))
            }
            AuditEvent::RetentionSet { notes_months } => {
                ("retention", String::new(), format!("notes_months={notes_months}"))
            }
            AuditEvent::DashboardAccountCreated { account, school, role } => {
                ("dashboard_account", account.to_string(), format!("{} {school}", role.as_str()))
            }
            AuditEvent::DashboardAccountSetUp { school, role } => {
                ("dashboard_account_set_up", school.to_string(), role.as_str().into())
            }
            AuditEvent::DashboardPasswordReset { account } => {
                ("dashboard_password_reset", account.to_string(), String::new())
            }
            AuditEvent::DashboardLocked { account } => ("dashboard_locked", account.to_string(), String::new()),
            AuditEvent::StipendMarked { school, educator, period, paid } => {
                ("stipend_marked", educator.to_string(), format!("school={school} period={period} paid={paid}"))
            }
            AuditEvent::StipendRateSet { cents } => ("stipend_rate", String::new(), format!("cents={cents}")),
            AuditEvent::ReportExported { report, school, rows } => (
                "report_exported",
                school.map_or_else(|| "all_schools".to_string(), |s| s.to_string()),
                format!("{} rows={rows}", report.as_str()),
            ),
        }
    }
}

fn reason_code(reason: RejectReason) -> &'static str {
    match reason {
        RejectReason::Forbidden => "forbidden",
        RejectReason::Malformed => "malformed",
        RejectReason::OverQuota => "over_quota",
        RejectReason::Busy => "busy",
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Operator => f.write_str("operator"),
            Actor::Device(d) => write!(f, "device {d}"),
            Actor::DashboardAccount(a) => write!(f, "dashboard_account {a}"),
        }
    }
}

/// One stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    /// SHA-256 over the previous entry's hash and this entry's columns ([`chain_hash`]).
    pub hash: Vec<u8>,
}

/// The hash an entry carries: over the previous entry's hash (empty for the first) and its own
/// columns, each length-prefixed so no two different entries hash alike.
pub fn chain_hash(
    prev: &[u8],
    seq: i64,
    at_ms: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Vec<u8> {
    let (seq, at_ms) = (seq.to_be_bytes(), at_ms.to_be_bytes());
    let parts: [&[u8]; 7] =
        [prev, &seq, &at_ms, actor.as_bytes(), action.as_bytes(), subject.as_bytes(), detail.as_bytes()];
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize().to_vec()
}

/// Checks the chain of `entries` (in order, from the first entry ever): the seq of the first
/// entry that does not follow from the one before, if any.
pub fn first_broken(entries: &[AuditEntry]) -> Option<i64> {
    let mut prev: Vec<u8> = Vec::new();
    let mut expected_seq = None;
    for e in entries {
        let hash = chain_hash(&prev, e.seq, e.at.timestamp_millis(), &e.actor, &e.action, &e.subject, &e.detail);
        let in_order = expected_seq.is_none_or(|s| e.seq == s);
        if hash != e.hash || !in_order {
            return Some(e.seq);
        }
        prev = e.hash.clone();
        expected_seq = Some(e.seq + 1);
    }
    None
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("the audit log could not be written or read: {0}")]
    Database(String),
}

impl From<rusqlite::Error> for AuditError {
    fn from(e: rusqlite::Error) -> Self {
        AuditError::Database(e.to_string())
    }
}

/// Where the audit trail is kept.
pub trait AuditLog: Send + Sync {
    /// Appends `events` by `actor`, in order, in one transaction.
    fn append(&self, actor: &Actor, events: &[AuditEvent]) -> Result<(), AuditError>;
    /// Entries with `seq` above `after`, oldest first, at most `limit` (capped at [`MAX_LISTED`]).
    fn entries(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, AuditError>;
}

/// Appends a sync request's refused writes (not `Busy`: that is pacing, not a refusal) by
/// `device`, within its audited refusals a minute; the rest are counted in a metric. Best effort:
/// the refusal stands whether or not its entry could be written (a failure is logged).
pub(crate) fn record_refusals(relay: &Relay, device: &DeviceId, refused: &[(DocId, RejectReason)]) {
    let mut events = Vec::new();
    for (doc, reason) in refused.iter().filter(|(_, r)| *r != RejectReason::Busy) {
        if relay.audit_limiter.check_key(device).is_ok() {
            events.push(AuditEvent::Refused { doc: *doc, reason: *reason });
        } else {
            relay.metrics.audit_suppressed.inc();
        }
    }
    if events.is_empty() {
        return;
    }
    if let Err(e) = relay.audit().append(&Actor::Device(device.clone()), &events) {
        tracing::warn!(error = %e, device = %device, "could not write refused writes to the audit trail");
    }
}

/// Every entry, in pages (for `--verify` and export).
pub fn all_entries(log: &dyn AuditLog) -> Result<Vec<AuditEntry>, AuditError> {
    let mut all: Vec<AuditEntry> = Vec::new();
    loop {
        let after = all.last().map_or(0, |e| e.seq);
        let page = log.entries(after, MAX_LISTED)?;
        if page.is_empty() {
            return Ok(all);
        }
        all.extend(page);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(prev: &[u8], seq: i64, detail: &str) -> AuditEntry {
        let at = DateTime::from_timestamp_millis(1_790_000_000_000 + seq).unwrap();
        let hash = chain_hash(prev, seq, at.timestamp_millis(), "operator", "invited", "s", detail);
        AuditEntry {
            seq,
            at,
            actor: "operator".into(),
            action: "invited".into(),
            subject: "s".into(),
            detail: detail.into(),
            hash,
        }
    }

    #[test]
    fn the_chain_finds_a_rewritten_or_removed_entry() {
        let a = entry(&[], 1, "educator");
        let b = entry(&a.hash, 2, "coordinator");
        let c = entry(&b.hash, 3, "district_admin");
        assert_eq!(first_broken(&[a.clone(), b.clone(), c.clone()]), None);
        let mut rewritten = b.clone();
        rewritten.detail = "district_admin".into();
        assert_eq!(first_broken(&[a.clone(), rewritten, c.clone()]), Some(2));
        assert_eq!(first_broken(&[a.clone(), c.clone()]), Some(3), "a removed entry breaks the next one");
        // Fields cannot be shifted into each other.
        assert_ne!(
            chain_hash(&[], 1, 0, "operator", "invited", "ab", "c"),
            chain_hash(&[], 1, 0, "operator", "invited", "a", "bc")
        );
    }

    #[test]
    fn events_carry_ids_and_codes_only() {
        let doc: DocId = "family/6a2f3c1e-0d7b-4b8e-9f3a-2c4d5e6f7a8b".parse().unwrap();
        let (action, subject, detail) = AuditEvent::Refused { doc, reason: RejectReason::Forbidden }.columns();
        assert_eq!((action, subject.as_str(), detail.as_str()), ("refused", doc.to_string().as_str(), "forbidden"));
    }
}
