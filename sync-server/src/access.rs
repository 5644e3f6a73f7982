//! Devices and their credentials: invite codes a coordinator hands out, and the device tokens they
//! become. Only SHA-256 hashes of codes and tokens are stored; a revoked device is refused on its
//! next request. [`AccessStore`] is what the relay needs; [`SqliteAccess`] keeps it in its own
//! encrypted file beside the documents (`access.db`), `crate::pg` in PostgreSQL.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use homevisit_store::{DbKey, EncryptedConnection};
use rusqlite::{OpenFlags, OptionalExtension, params};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("the invite code is unknown or already used")]
    BadInvite,
    #[error("database error: {0}")]
    Database(String),
    #[error("the system random generator failed")]
    Random,
}

impl From<rusqlite::Error> for AccessError {
    fn from(e: rusqlite::Error) -> Self {
        AccessError::Database(e.to_string())
    }
}

/// What a device was enrolled as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub device_id: String,
    pub school_id: String,
    pub role: String,
    pub educator_id: Option<String>,
}

/// Invites, devices and school policies, wherever they are kept.
pub trait AccessStore: Send + Sync {
    /// A new single-use invite code for a device of `school_id` with `role`.
    fn invite(&self, school_id: &str, role: &str, educator_id: Option<&str>) -> Result<String, AccessError>;
    /// Turns an unused invite code into a device and its token (shown once, stored hashed).
    fn enroll(&self, code: &str) -> Result<(Device, String), AccessError>;
    /// The device a bearer token belongs to, unless it is unknown or revoked.
    fn authenticate(&self, token: &str) -> Result<Option<Device>, AccessError>;
    /// Whether a school's policy shares visit notes with its coordinators (default: no).
    fn coordinators_read_notes(&self, school_id: &str) -> Result<bool, AccessError>;
    fn set_coordinators_read_notes(&self, school_id: &str, shared: bool) -> Result<(), AccessError>;
    /// Revokes a device; its next request is refused. Returns whether it was active.
    fn revoke(&self, device_id: &str) -> Result<bool, AccessError>;
}

pub struct SqliteAccess {
    conn: Mutex<EncryptedConnection>,
}

/// What is stored of a code or token: its SHA-256.
pub(crate) fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A new random invite code (12 bytes) or device token (32 bytes), hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, AccessError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|_| AccessError::Random)?;
    Ok(hex::encode(buf))
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

impl SqliteAccess {
    pub fn open(path: &Path, key: &DbKey) -> Result<Self, AccessError> {
        let conn = homevisit_store::open_encrypted(path, key, OpenFlags::default())?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, EncryptedConnection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl AccessStore for SqliteAccess {
    fn invite(&self, school_id: &str, role: &str, educator_id: Option<&str>) -> Result<String, AccessError> {
        let code = random_hex(12)?;
        self.conn().execute(
            "INSERT INTO invites (code_hash, school_id, role, educator_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![hash(&code), school_id, role, educator_id, chrono::Utc::now().timestamp_millis()],
        )?;
        Ok(code)
    }

    fn enroll(&self, code: &str) -> Result<(Device, String), AccessError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let invite: Option<(String, String, Option<String>)> = tx
            .query_row(
                "SELECT school_id, role, educator_id FROM invites WHERE code_hash = ?1 AND used_at IS NULL",
                [hash(code)],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (school_id, role, educator_id) = invite.ok_or(AccessError::BadInvite)?;
        let now = chrono::Utc::now().timestamp_millis();
        tx.execute("UPDATE invites SET used_at = ?2 WHERE code_hash = ?1", params![hash(code), now])?;
        let device_id = uuid::Uuid::new_v4().to_string();
        let token = random_hex(32)?;
        tx.execute(
            "INSERT INTO devices (device_id, token_hash, school_id, role, educator_id, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![device_id, hash(&token), school_id, role, educator_id, now],
        )?;
        tx.commit()?;
        Ok((Device { device_id, school_id, role, educator_id }, token))
    }

    fn authenticate(&self, token: &str) -> Result<Option<Device>, AccessError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT device_id, school_id, role, educator_id FROM devices WHERE token_hash = ?1 AND revoked_at IS NULL",
            )?
            .query_row([hash(token)], |r| {
                Ok(Device { device_id: r.get(0)?, school_id: r.get(1)?, role: r.get(2)?, educator_id: r.get(3)? })
            })
            .optional()?)
    }

    fn coordinators_read_notes(&self, school_id: &str) -> Result<bool, AccessError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT coordinators_read_notes FROM school_policies WHERE school_id = ?1")?
            .query_row([school_id], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    fn set_coordinators_read_notes(&self, school_id: &str, shared: bool) -> Result<(), AccessError> {
        self.conn().execute(
            "INSERT INTO school_policies (school_id, coordinators_read_notes) VALUES (?1, ?2)
             ON CONFLICT (school_id) DO UPDATE SET coordinators_read_notes = excluded.coordinators_read_notes",
            params![school_id, shared],
        )?;
        Ok(())
    }

    fn revoke(&self, device_id: &str) -> Result<bool, AccessError> {
        let n = self.conn().execute(
            "UPDATE devices SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
            params![device_id, chrono::Utc::now().timestamp_millis()],
        )?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invites_are_single_use_tokens_are_hashed_and_revocable() {
        let dir = tempfile::tempdir().unwrap();
        let access = SqliteAccess::open(&dir.path().join("access.db"), &DbKey::from_bytes([0x11; 32])).unwrap();
        let code = access.invite("school-1", "educator", Some("educator-1")).unwrap();
        let (device, token) = access.enroll(&code).unwrap();
        assert!(matches!(access.enroll(&code), Err(AccessError::BadInvite)));
        assert_eq!(access.authenticate(&token).unwrap(), Some(device.clone()));
        assert_eq!(access.authenticate("not-a-token").unwrap(), None);
        let stored: i64 = access
            .conn()
            .query_row("SELECT count(*) FROM devices WHERE token_hash = ?1", [token.as_bytes()], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 0, "the token itself is never stored");
        assert!(access.revoke(&device.device_id).unwrap());
        assert_eq!(access.authenticate(&token).unwrap(), None);
    }
}
