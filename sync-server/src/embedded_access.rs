//! The embedded relay's [`AccessStore`]: invites, devices and school policies in their own
//! encrypted SQLite file beside the documents (`access.db`). The rules (hashing, expiry, roles
//! parsed from their columns) are `crate::access`'s; PostgreSQL's implementation is
//! `crate::pg::access`.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use homevisit_model::SchoolId;
use homevisit_store::{DbKey, EncryptedConnection};
use homevisit_sync::DeviceId;
use rusqlite::{OpenFlags, OptionalExtension, params};

use crate::access::{
    AccessError, AccessStore, Device, DeviceRecord, LAST_SEEN_EVERY, MAX_SHARING_SCHOOLS, Role, hash, invite_hash,
    last_seen_failed, millis, new_device_id, random_hex, token_hash,
};

pub struct SqliteAccess {
    /// Shared with the dashboard's store (`crate::embedded_dashboard`), whose accounts are made
    /// from these invites in one transaction.
    conn: Arc<Mutex<EncryptedConnection>>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS invites (
    code_hash   BLOB PRIMARY KEY,
    school_id   TEXT NOT NULL,
    role        TEXT NOT NULL,
    educator_id TEXT,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    device_id   TEXT PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    school_id   TEXT NOT NULL,
    role        TEXT NOT NULL,
    educator_id TEXT,
    enrolled_at INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;
CREATE TABLE IF NOT EXISTS school_policies (
    school_id               TEXT PRIMARY KEY,
    coordinators_read_notes INTEGER NOT NULL
) STRICT;";

/// Columns added after the first release, for databases made before them: (table, column, type,
/// statement run once after adding it). Invites made before expiry existed expire as if made with
/// the default validity.
const ADDED_COLUMNS: &[(&str, &str, &str, &str)] = &[
    ("invites", "expires_at", "INTEGER", "UPDATE invites SET expires_at = created_at + 1209600000"),
    ("devices", "last_seen_at", "INTEGER", ""),
];

fn migrate(conn: &rusqlite::Connection) -> Result<(), AccessError> {
    for (table, column, ty, then) in ADDED_COLUMNS {
        let exists: bool =
            conn.prepare(&format!("SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"))?.exists([column])?;
        if !exists {
            conn.execute_batch(&format!("BEGIN; ALTER TABLE {table} ADD COLUMN {column} {ty}; {then}; COMMIT;"))?;
        }
    }
    Ok(())
}

impl SqliteAccess {
    pub fn open(path: &Path, key: &DbKey) -> Result<Self, AccessError> {
        let conn = homevisit_store::open_encrypted(path, key, OpenFlags::default())?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    fn conn(&self) -> MutexGuard<'_, EncryptedConnection> {
        lock(&self.conn)
    }

    /// The connection to `access.db`, for the other tables kept in it.
    pub(crate) fn connection(&self) -> Arc<Mutex<EncryptedConnection>> {
        self.conn.clone()
    }
}

/// The connection, locked (a poisoned lock is taken as it is: every write is one transaction,
/// rolled back if it did not finish).
pub(crate) fn lock(conn: &Mutex<EncryptedConnection>) -> MutexGuard<'_, EncryptedConnection> {
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// An invite's stored columns: school id, role, educator id.
pub(crate) type InviteColumns = (String, String, Option<String>);

/// Marks an unused, unexpired invite used in `tx` and returns its columns, or `BadInvite`. The
/// caller checks what the invite is for and commits only if it takes it: anything else rolls
/// back, and the invite stays unused. Devices' enrollment and dashboard accounts both use it.
/// `code_hash` is [`invite_hash`]'s, computed before the lock was taken.
pub(crate) fn take_invite(
    tx: &rusqlite::Transaction<'_>,
    code_hash: &[u8],
    now: i64,
) -> Result<InviteColumns, AccessError> {
    tx.query_row(
        "UPDATE invites SET used_at = ?2 WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2
         RETURNING school_id, role, educator_id",
        params![code_hash, now],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?
    .ok_or(AccessError::BadInvite)
}

impl AccessStore for SqliteAccess {
    fn invite_valid_for(&self, school_id: &SchoolId, role: &Role, valid_for: Duration) -> Result<String, AccessError> {
        let code = random_hex(12)?;
        let code_hash = hash(&code);
        let now = now_ms();
        self.conn().execute(
            "INSERT INTO invites (code_hash, school_id, role, educator_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                code_hash,
                school_id.to_string(),
                role.as_str(),
                role.educator_column(),
                now,
                now.saturating_add(millis(valid_for))
            ],
        )?;
        Ok(code)
    }

    fn enroll(&self, code: &str) -> Result<(Device, String), AccessError> {
        let code_hash = invite_hash(code)?;
        let device_id = new_device_id();
        let token = random_hex(32)?;
        let token_hash = hash(&token);
        let now = now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (school_id, role, educator_id) = take_invite(&tx, &code_hash, now)?;
        // An invite that does not parse enrolls nothing (the transaction rolls back).
        let device = Device::enrolled(device_id, &school_id, &role, educator_id.as_deref())?;
        tx.execute(
            "INSERT INTO devices (device_id, token_hash, school_id, role, educator_id, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![device.device_id.as_str(), token_hash, school_id, role, educator_id, now],
        )?;
        tx.commit()?;
        Ok((device, token))
    }

    fn authenticate(&self, token: &str) -> Result<Option<Device>, AccessError> {
        let Some(token_hash) = token_hash(token) else { return Ok(None) };
        let now = now_ms();
        let conn = self.conn();
        type Row = (String, String, String, Option<String>, Option<i64>);
        let row: Option<Row> = conn
            .prepare_cached(
                "SELECT device_id, school_id, role, educator_id, last_seen_at FROM devices
                 WHERE token_hash = ?1 AND revoked_at IS NULL",
            )?
            .query_row([token_hash], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .optional()?;
        let Some((device_id, school_id, role, educator_id, last_seen)) = row else { return Ok(None) };
        let device = Device::from_columns(&device_id, &school_id, &role, educator_id.as_deref())?;
        if last_seen.is_none_or(|t| now.saturating_sub(t) >= millis(LAST_SEEN_EVERY)) {
            let seen = conn
                .prepare_cached("UPDATE devices SET last_seen_at = ?2 WHERE device_id = ?1")
                .and_then(|mut s| s.execute(params![device.device_id.as_str(), now]));
            if let Err(e) = seen {
                last_seen_failed(&e.into());
            }
        }
        Ok(Some(device))
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, AccessError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT device_id, school_id, role, educator_id, enrolled_at, last_seen_at, revoked_at
             FROM devices ORDER BY enrolled_at, device_id",
        )?;
        let rows = statement.query_map([], |r| {
            let (id, school, role, educator): (String, String, String, Option<String>) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            Ok(DeviceRecord::from_columns(&id, (&school, &role, educator.as_deref()), r.get(4)?, r.get(5)?, r.get(6)?))
        })?;
        rows.map(|row| row.map_err(AccessError::from).and_then(|record| record)).collect()
    }

    fn revoked(&self, token: &str) -> Result<bool, AccessError> {
        let Some(token_hash) = token_hash(token) else { return Ok(false) };
        Ok(self
            .conn()
            .prepare_cached("SELECT 1 FROM devices WHERE token_hash = ?1 AND revoked_at IS NOT NULL")?
            .query_row([token_hash], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn schools_sharing_notes(&self) -> Result<Vec<SchoolId>, AccessError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT school_id FROM school_policies WHERE coordinators_read_notes ORDER BY school_id LIMIT ?1",
        )?;
        let rows = statement.query_map([MAX_SHARING_SCHOOLS], |r| r.get::<_, String>(0))?;
        // A row that is not a school id shares nothing (closed, not open).
        Ok(rows.filter_map(|r| r.ok()?.parse().ok()).collect())
    }

    fn coordinators_read_notes(&self, school_id: &SchoolId) -> Result<bool, AccessError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT coordinators_read_notes FROM school_policies WHERE school_id = ?1")?
            .query_row([school_id.to_string()], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    fn set_coordinators_read_notes(&self, school_id: &SchoolId, shared: bool) -> Result<(), AccessError> {
        self.conn().execute(
            "INSERT INTO school_policies (school_id, coordinators_read_notes) VALUES (?1, ?2)
             ON CONFLICT (school_id) DO UPDATE SET coordinators_read_notes = excluded.coordinators_read_notes",
            params![school_id.to_string(), shared],
        )?;
        Ok(())
    }

    fn revoke(&self, device_id: &DeviceId) -> Result<bool, AccessError> {
        let n = self.conn().execute(
            "UPDATE devices SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
            params![device_id.as_str(), now_ms()],
        )?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{MAX_INVITE_CHARS, MAX_TOKEN_CHARS, RecordError};
    use homevisit_model::EducatorId;

    fn open(dir: &tempfile::TempDir) -> SqliteAccess {
        SqliteAccess::open(&dir.path().join("access.db"), &DbKey::from_bytes([0x11; 32])).unwrap()
    }

    #[test]
    fn invites_are_single_use_tokens_are_hashed_and_revocable() {
        let dir = tempfile::tempdir().unwrap();
        let access = open(&dir);
        let (school, educator) = (SchoolId::new(), EducatorId::new());
        let code = access.invite(&school, &Role::Educator(educator)).unwrap();
        let (device, token) = access.enroll(&code).unwrap();
        assert_eq!((device.school_id, device.role), (school, Role::Educator(educator)));
        assert!(matches!(access.enroll(&code), Err(AccessError::BadInvite)));
        assert_eq!(access.authenticate(&token).unwrap(), Some(device.clone()));
        assert_eq!(access.authenticate("not-a-token").unwrap(), None);
        let stored: i64 = access
            .conn()
            .query_row("SELECT count(*) FROM devices WHERE token_hash = ?1", [token.as_bytes()], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 0, "the token itself is never stored");
        assert!(!access.revoked(&token).unwrap(), "valid, not revoked");
        assert!(access.revoke(&device.device_id).unwrap());
        assert_eq!(access.authenticate(&token).unwrap(), None);
        // Revoked is told apart only for a token that was valid: a guessed one learns nothing.
        assert!(access.revoked(&token).unwrap());
        assert!(!access.revoked("not-a-token").unwrap());
        assert!(!access.revoked(&"a".repeat(MAX_TOKEN_CHARS + 1)).unwrap());
    }

    #[test]
    fn the_schools_sharing_notes_are_those_whose_policy_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let access = open(&dir);
        let (a, b, c) = (SchoolId::new(), SchoolId::new(), SchoolId::new());
        assert!(access.schools_sharing_notes().unwrap().is_empty());
        access.set_coordinators_read_notes(&a, true).unwrap();
        access.set_coordinators_read_notes(&b, true).unwrap();
        access.set_coordinators_read_notes(&c, false).unwrap();
        access.set_coordinators_read_notes(&b, false).unwrap();
        assert_eq!(access.schools_sharing_notes().unwrap(), vec![a]);
    }

    #[test]
    fn expired_and_over_long_invites_are_refused_like_unknown_ones() {
        let dir = tempfile::tempdir().unwrap();
        let access = open(&dir);
        let expired = access.invite_valid_for(&SchoolId::new(), &Role::SchoolCoordinator, Duration::ZERO).unwrap();
        assert!(matches!(access.enroll(&expired), Err(AccessError::BadInvite)));
        let long = "a".repeat(MAX_INVITE_CHARS + 1);
        assert!(matches!(access.enroll(&long), Err(AccessError::BadInvite)));
        assert!(matches!(access.enroll(&"a".repeat(8 << 20)), Err(AccessError::BadInvite)));
        assert_eq!(access.authenticate(&"a".repeat(MAX_TOKEN_CHARS + 1)).unwrap(), None);
        // The expired code is still unused: it was refused, not spent.
        let used: Option<i64> = access.conn().query_row("SELECT used_at FROM invites", [], |r| r.get(0)).unwrap();
        assert_eq!(used, None);
    }

    #[test]
    fn a_row_that_does_not_parse_is_an_error_and_listed_as_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let access = open(&dir);
        let code = access.invite(&SchoolId::new(), &Role::Educator(EducatorId::new())).unwrap();
        let (device, token) = access.enroll(&code).unwrap();
        // As an older relay (or a hand edit) could have left it: an educator without their id.
        access.conn().execute("UPDATE devices SET educator_id = NULL", []).unwrap();
        assert!(matches!(
            access.authenticate(&token),
            Err(AccessError::Record { error: RecordError::EducatorWithoutId, .. })
        ));
        let listed = access.devices().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].device_id, device.device_id);
        assert_eq!(listed[0].enrollment, Err(RecordError::EducatorWithoutId));
        // ...and it can still be revoked.
        assert!(access.revoke(&device.device_id).unwrap());
        // An invite row likewise: enrolling with it is an error, and nothing is enrolled.
        let code = access.invite(&SchoolId::new(), &Role::SchoolCoordinator).unwrap();
        access.conn().execute("UPDATE invites SET role = 'superuser' WHERE used_at IS NULL", []).unwrap();
        assert!(matches!(access.enroll(&code), Err(AccessError::Record { .. })));
        assert_eq!(access.devices().unwrap().len(), 1);
    }

    #[test]
    fn a_stored_device_id_that_does_not_parse_is_an_error_not_a_device() {
        let dir = tempfile::tempdir().unwrap();
        let access = open(&dir);
        let code = access.invite(&SchoolId::new(), &Role::SchoolCoordinator).unwrap();
        let (device, token) = access.enroll(&code).unwrap();
        assert_eq!(DeviceId::parse(device.device_id.as_str()), Ok(device.device_id.clone()), "issued ids parse");
        // A hand edit: an id the relay never issues.
        access.conn().execute("UPDATE devices SET device_id = 'Front desk tablet'", []).unwrap();
        let bad_id = |e: AccessError| matches!(e, AccessError::Record { error: RecordError::BadId("device id"), .. });
        assert!(access.authenticate(&token).is_err_and(bad_id));
        assert!(access.devices().is_err_and(bad_id));
    }

    #[test]
    fn devices_are_listed_with_last_seen_written_at_most_once_a_minute() {
        let dir = tempfile::tempdir().unwrap();
        let access = open(&dir);
        let school = SchoolId::new();
        let (a, token_a) = access.enroll(&access.invite(&school, &Role::DistrictAdmin).unwrap()).unwrap();
        let (b, _) = access.enroll(&access.invite(&school, &Role::SchoolCoordinator).unwrap()).unwrap();
        let listed = access.devices().unwrap();
        assert_eq!(listed.iter().map(|d| d.last_seen_at).collect::<Vec<_>>(), [None, None]);
        access.authenticate(&token_a).unwrap().unwrap();
        let seen = |access: &SqliteAccess| -> Option<i64> {
            access
                .conn()
                .query_row("SELECT last_seen_at FROM devices WHERE device_id = ?1", [a.device_id.as_str()], |r| {
                    r.get(0)
                })
                .unwrap()
        };
        let first = seen(&access).expect("seen");
        // Within the minute: not written again.
        access.conn().execute("UPDATE devices SET last_seen_at = last_seen_at - 1000", []).unwrap();
        access.authenticate(&token_a).unwrap().unwrap();
        assert_eq!(seen(&access), Some(first - 1000));
        // A minute later: written.
        access.conn().execute("UPDATE devices SET last_seen_at = last_seen_at - 60000", []).unwrap();
        access.authenticate(&token_a).unwrap().unwrap();
        assert!(seen(&access).unwrap() >= first);
        access.revoke(&b.device_id).unwrap();
        let listed = access.devices().unwrap();
        let by_id = |id: &DeviceId| listed.iter().find(|d| d.device_id == *id).unwrap();
        assert_eq!(by_id(&a.device_id).enrollment, Ok((school, Role::DistrictAdmin)));
        assert!(by_id(&a.device_id).last_seen_at.is_some() && by_id(&a.device_id).revoked_at.is_none());
        assert!(by_id(&b.device_id).last_seen_at.is_none() && by_id(&b.device_id).revoked_at.is_some());
    }

    #[test]
    fn a_database_from_before_expiry_and_last_seen_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access.db");
        let key = DbKey::from_bytes([0x11; 32]);
        let old_code = "0123456789abcdef01234567";
        {
            let conn = homevisit_store::open_encrypted(&path, &key, OpenFlags::default()).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            let now = now_ms();
            conn.execute(
                "INSERT INTO invites (code_hash, school_id, role, educator_id, created_at) VALUES (?1, ?2, 'coordinator', NULL, ?3)",
                params![hash(old_code), SchoolId::new().to_string(), now],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO invites (code_hash, school_id, role, educator_id, created_at) VALUES (?1, ?2, 'coordinator', NULL, ?3)",
                params![hash("stale"), SchoolId::new().to_string(), now - 15 * 24 * 3600 * 1000],
            )
            .unwrap();
        }
        let access = SqliteAccess::open(&path, &key).unwrap();
        assert!(matches!(access.enroll("stale"), Err(AccessError::BadInvite)), "made 15 days ago: expired");
        let (device, token) = access.enroll(old_code).unwrap();
        access.authenticate(&token).unwrap().unwrap();
        assert!(access.devices().unwrap()[0].last_seen_at.is_some(), "{device:?}");
        drop(access);
        SqliteAccess::open(&path, &key).unwrap(); // and opens again, already migrated
    }
}
