//! Devices and their credentials: invite codes an administrator hands out, and the device tokens
//! they become. Only SHA-256 hashes of codes and tokens are stored; an invite is single-use and
//! expires ([`DEFAULT_INVITE_VALIDITY`] unless told otherwise); a revoked device is refused on its
//! next request. What a device was enrolled as is a typed [`Role`], stored as text columns and
//! parsed when read: a row that does not parse is an error ([`RecordError`]), never a guess.
//!
//! Device tokens do not expire with time: a phone may rightly go months without syncing (summer
//! break, between visit 1 and visit 2) with notes on it that only it holds, and a token that had
//! lapsed would strand them. A lost phone is found with `homevisit-relay devices` (its last-seen
//! time) and revoked. [`AccessStore`] is what the relay needs; [`SqliteAccess`] keeps it in its own
//! encrypted file beside the documents (`access.db`), `crate::pg` in PostgreSQL.

use std::fmt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use homevisit_model::{EducatorId, SchoolId};
use homevisit_store::{DbKey, EncryptedConnection};
use homevisit_sync::DeviceId;
use rusqlite::{OpenFlags, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::log_limit::LogLimit;

/// How long an invite code stays usable unless the administrator says otherwise.
pub const DEFAULT_INVITE_VALIDITY: Duration = Duration::from_secs(14 * 24 * 3600);
/// Longest invite code accepted (issued ones are 24 hex characters). Anything longer is refused
/// before it is hashed or the database is touched.
pub const MAX_INVITE_CHARS: usize = 64;
/// Longest bearer token accepted (issued ones are 64 hex characters), refused likewise.
pub const MAX_TOKEN_CHARS: usize = 128;
/// A device's last-seen time is written at most this often, so a busy device does not write on
/// every request.
pub const LAST_SEEN_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// Unknown, used, expired or over-long: all answered alike.
    #[error("the invite code is unknown, used or expired")]
    BadInvite,
    #[error("the stored enrollment of {what} is invalid: {error}")]
    Record { what: String, error: RecordError },
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

/// Why a stored invite or device row is not a valid enrollment.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("unknown role `{0}`")]
    UnknownRole(String),
    #[error("an educator's enrollment without an educator id")]
    EducatorWithoutId,
    #[error("a {0} enrollment naming an educator")]
    UnexpectedEducator(&'static str),
    #[error("the {0} is not an id")]
    BadId(&'static str),
}

/// What a device was enrolled as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// An educator's phone: their own visits, their school's roster.
    Educator(EducatorId),
    /// A school's coordinator: the school's visit logs (notes by policy), its roster.
    SchoolCoordinator,
    /// The district's administrator: the prompt packs every phone shows; otherwise what a
    /// coordinator of the school it is enrolled in is (several schools: a later issue).
    DistrictAdmin,
}

impl Role {
    pub const EDUCATOR: &'static str = "educator";
    pub const COORDINATOR: &'static str = "coordinator";
    pub const DISTRICT_ADMIN: &'static str = "district_admin";

    /// The stored name of the role (the `role` column).
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Educator(_) => Self::EDUCATOR,
            Role::SchoolCoordinator => Self::COORDINATOR,
            Role::DistrictAdmin => Self::DISTRICT_ADMIN,
        }
    }

    /// The educator a device acts as, for an educator's device.
    pub fn educator(&self) -> Option<EducatorId> {
        match self {
            Role::Educator(id) => Some(*id),
            Role::SchoolCoordinator | Role::DistrictAdmin => None,
        }
    }

    /// The role stored as `role` and `educator_id` columns. Only an educator names an educator:
    /// anything else is refused, so no row can mean more than one thing.
    pub fn from_columns(role: &str, educator_id: Option<&str>) -> Result<Role, RecordError> {
        let educator =
            educator_id.map(|e| e.parse::<EducatorId>().map_err(|_| RecordError::BadId("educator id"))).transpose()?;
        match (role, educator) {
            (Self::EDUCATOR, Some(id)) => Ok(Role::Educator(id)),
            (Self::EDUCATOR, None) => Err(RecordError::EducatorWithoutId),
            (Self::COORDINATOR, None) => Ok(Role::SchoolCoordinator),
            (Self::DISTRICT_ADMIN, None) => Ok(Role::DistrictAdmin),
            (Self::COORDINATOR, Some(_)) => Err(RecordError::UnexpectedEducator(Self::COORDINATOR)),
            (Self::DISTRICT_ADMIN, Some(_)) => Err(RecordError::UnexpectedEducator(Self::DISTRICT_ADMIN)),
            (other, _) => Err(RecordError::UnknownRole(other.chars().take(32).collect())),
        }
    }

    /// The `educator_id` column.
    pub fn educator_column(&self) -> Option<String> {
        self.educator().map(|e| e.to_string())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An enrollment's school and role, from its stored columns.
fn enrollment(school_id: &str, role: &str, educator_id: Option<&str>) -> Result<(SchoolId, Role), RecordError> {
    let school = school_id.parse::<SchoolId>().map_err(|_| RecordError::BadId("school id"))?;
    Ok((school, Role::from_columns(role, educator_id)?))
}

/// A new device's id: a random UUID in the form every stored device id has.
pub(crate) fn new_device_id() -> DeviceId {
    DeviceId::parse(&uuid::Uuid::new_v4().to_string()).expect("a UUID's text is a device id")
}

/// A stored `device_id` column, parsed (every id the relay issued parses).
fn device_id_column(device_id: &str) -> Result<DeviceId, AccessError> {
    DeviceId::parse(device_id)
        .map_err(|_| AccessError::Record { what: "a device row".into(), error: RecordError::BadId("device id") })
}

/// An authenticated device: what access is decided on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub device_id: DeviceId,
    /// The school it was enrolled in.
    pub school_id: SchoolId,
    pub role: Role,
}

impl Device {
    /// The device from its stored columns (a row that does not parse is an error about it).
    pub(crate) fn from_columns(
        device_id: &str,
        school_id: &str,
        role: &str,
        educator_id: Option<&str>,
    ) -> Result<Device, AccessError> {
        let device_id = device_id_column(device_id)?;
        Device::enrolled(device_id, school_id, role, educator_id)
    }

    /// A device with its id, enrolled as the stored columns say.
    pub(crate) fn enrolled(
        device_id: DeviceId,
        school_id: &str,
        role: &str,
        educator_id: Option<&str>,
    ) -> Result<Device, AccessError> {
        match enrollment(school_id, role, educator_id) {
            Ok((school_id, role)) => Ok(Device { device_id, school_id, role }),
            Err(error) => Err(AccessError::Record { what: format!("device {device_id}"), error }),
        }
    }
}

/// One device as `homevisit-relay devices` lists it: ids and times, no names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    pub device_id: DeviceId,
    /// Its school and role; a stored row that does not parse is listed with why (so it can still
    /// be found and revoked), and is refused if it authenticates.
    pub enrollment: Result<(SchoolId, Role), RecordError>,
    pub enrolled_at: DateTime<Utc>,
    /// When it last authenticated (to within [`LAST_SEEN_EVERY`]); `None`: never since enrolling.
    pub last_seen_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl DeviceRecord {
    /// The listing's row. Its enrollment may be invalid (listed as such); its id may not: every id
    /// the relay issued parses, so one that does not is an error (a damaged or hand-edited table).
    pub(crate) fn from_columns(
        device_id: &str,
        (school_id, role, educator_id): (&str, &str, Option<&str>),
        enrolled_at_ms: i64,
        last_seen_at_ms: Option<i64>,
        revoked_at_ms: Option<i64>,
    ) -> Result<DeviceRecord, AccessError> {
        let time = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        Ok(DeviceRecord {
            device_id: device_id_column(device_id)?,
            enrollment: enrollment(school_id, role, educator_id),
            enrolled_at: time(enrolled_at_ms),
            last_seen_at: last_seen_at_ms.map(time),
            revoked_at: revoked_at_ms.map(time),
        })
    }
}

/// Invites, devices and school policies, wherever they are kept.
pub trait AccessStore: Send + Sync {
    /// A new single-use invite code for a device of `school_id` with `role`, usable for
    /// `valid_for` from now.
    fn invite_valid_for(&self, school_id: &SchoolId, role: &Role, valid_for: Duration) -> Result<String, AccessError>;
    /// An invite usable for [`DEFAULT_INVITE_VALIDITY`].
    fn invite(&self, school_id: &SchoolId, role: &Role) -> Result<String, AccessError> {
        self.invite_valid_for(school_id, role, DEFAULT_INVITE_VALIDITY)
    }
    /// Turns an unused, unexpired invite code into a device and its token (shown once, stored
    /// hashed).
    fn enroll(&self, code: &str) -> Result<(Device, String), AccessError>;
    /// The device a bearer token belongs to, unless it is unknown or revoked; notes when it was
    /// last seen (at most every [`LAST_SEEN_EVERY`]).
    fn authenticate(&self, token: &str) -> Result<Option<Device>, AccessError>;
    /// Every device ever enrolled, revoked ones included, oldest first (an error if a stored
    /// device id does not parse).
    fn devices(&self) -> Result<Vec<DeviceRecord>, AccessError>;
    /// Whether a school's policy shares visit notes with its coordinators (default: no).
    fn coordinators_read_notes(&self, school_id: &SchoolId) -> Result<bool, AccessError>;
    fn set_coordinators_read_notes(&self, school_id: &SchoolId, shared: bool) -> Result<(), AccessError>;
    /// Revokes a device; its next request is refused. Returns whether it was active.
    fn revoke(&self, device_id: &DeviceId) -> Result<bool, AccessError>;
}

pub struct SqliteAccess {
    conn: Mutex<EncryptedConnection>,
}

/// What is stored of a code or token: its SHA-256. Computed before any lock is taken.
pub(crate) fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A new random invite code (12 bytes) or device token (32 bytes), hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, AccessError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|_| AccessError::Random)?;
    Ok(hex::encode(buf))
}

/// The hash of an invite code, or `BadInvite` for one longer than any issued (never hashed).
pub(crate) fn invite_hash(code: &str) -> Result<Vec<u8>, AccessError> {
    if code.len() > MAX_INVITE_CHARS {
        return Err(AccessError::BadInvite);
    }
    Ok(hash(code))
}

/// The hash of a bearer token, or `None` for one longer than any issued (never hashed).
pub(crate) fn token_hash(token: &str) -> Option<Vec<u8>> {
    (token.len() <= MAX_TOKEN_CHARS).then(|| hash(token))
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A failed last-seen write does not refuse the device (it is bookkeeping), and is logged at most
/// once a minute.
pub(crate) static LAST_SEEN_FAILED: LogLimit = LogLimit::new(Duration::from_secs(60));

pub(crate) fn last_seen_failed(e: &AccessError) {
    if let Some(suppressed) = LAST_SEEN_FAILED.admit() {
        tracing::warn!(error = %e, suppressed, "could not record a device's last-seen time");
    }
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
        Ok(Self { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, EncryptedConnection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
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
        let invite: Option<(String, String, Option<String>)> = tx
            .query_row(
                "SELECT school_id, role, educator_id FROM invites
                 WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                params![code_hash, now],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (school_id, role, educator_id) = invite.ok_or(AccessError::BadInvite)?;
        let device = Device::enrolled(device_id, &school_id, &role, educator_id.as_deref())?;
        tx.execute("UPDATE invites SET used_at = ?2 WHERE code_hash = ?1", params![code_hash, now])?;
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
        assert!(access.revoke(&device.device_id).unwrap());
        assert_eq!(access.authenticate(&token).unwrap(), None);
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
    fn roles_parse_from_their_columns_and_nothing_else() {
        let e = EducatorId::new();
        let id = e.to_string();
        assert_eq!(Role::from_columns("educator", Some(&id)), Ok(Role::Educator(e)));
        assert_eq!(Role::from_columns("coordinator", None), Ok(Role::SchoolCoordinator));
        assert_eq!(Role::from_columns("district_admin", None), Ok(Role::DistrictAdmin));
        assert_eq!(Role::from_columns("educator", None), Err(RecordError::EducatorWithoutId));
        assert_eq!(Role::from_columns("educator", Some("educator-1")), Err(RecordError::BadId("educator id")));
        assert_eq!(Role::from_columns("coordinator", Some(&id)), Err(RecordError::UnexpectedEducator("coordinator")));
        assert_eq!(
            Role::from_columns("district_admin", Some(&id)),
            Err(RecordError::UnexpectedEducator("district_admin"))
        );
        for unknown in ["admin", "Coordinator", "", "district-admin"] {
            assert_eq!(Role::from_columns(unknown, None), Err(RecordError::UnknownRole(unknown.into())));
        }
        assert_eq!(Role::from_columns(&"x".repeat(1000), None), Err(RecordError::UnknownRole("x".repeat(32))));
        for role in [Role::Educator(e), Role::SchoolCoordinator, Role::DistrictAdmin] {
            assert_eq!(Role::from_columns(role.as_str(), role.educator_column().as_deref()), Ok(role));
        }
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
