//! Devices and their credentials: invite codes an administrator hands out, and the device tokens
//! they become. Only SHA-256 hashes of codes and tokens are stored; an invite is single-use and
//! expires ([`DEFAULT_INVITE_VALIDITY`] unless told otherwise); a revoked device is refused on its
//! next request. What a device was enrolled as is a typed [`Role`], stored as text columns and
//! parsed when read: a row that does not parse is an error ([`RecordError`]), never a guess.
//!
//! Device tokens do not expire with time: a phone may rightly go months without syncing (summer
//! break, between visit 1 and visit 2) with notes on it that only it holds, and a token that had
//! lapsed would strand them. A lost phone is found with `homevisit-relay devices` (its last-seen
//! time) and revoked. [`AccessStore`] is what the relay needs; `crate::embedded_access` keeps it in
//! its own encrypted file beside the documents (`access.db`), `crate::pg` in PostgreSQL.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use homevisit_model::{EducatorId, SchoolId};
use homevisit_sync::DeviceId;
use sha2::{Digest, Sha256};

use crate::log_limit::LogLimit;

/// How long an invite code stays usable unless the administrator says otherwise.
pub const DEFAULT_INVITE_VALIDITY: Duration = Duration::from_secs(14 * 24 * 3600);
/// Longest invite code accepted (issued ones are 24 hex characters). Anything longer is refused
/// before it is hashed or the database is touched.
pub const MAX_INVITE_CHARS: usize = 64;
/// Longest bearer token accepted (issued ones are 64 hex characters), refused likewise.
pub const MAX_TOKEN_CHARS: usize = 128;
/// Most schools whose notes policy a district administrator's request reads (a district has a
/// few hundred at most).
pub const MAX_SHARING_SCHOOLS: i64 = 10_000;
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
    /// The district's administrator: the prompt packs every phone shows, and for every school of
    /// the district what that school's coordinator is (whichever school it was enrolled in).
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
pub(crate) fn enrollment(
    school_id: &str,
    role: &str,
    educator_id: Option<&str>,
) -> Result<(SchoolId, Role), RecordError> {
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
    /// Whether a token belonged to a device that was then revoked (its phone is told so, and wipes
    /// itself). An unknown or over-long token is `false`: it learns nothing new.
    fn revoked(&self, token: &str) -> Result<bool, AccessError>;
    /// Whether a school's policy shares visit notes with its coordinators (default: no).
    fn coordinators_read_notes(&self, school_id: &SchoolId) -> Result<bool, AccessError>;
    /// Every school whose policy shares notes (at most [`MAX_SHARING_SCHOOLS`]; past it, the rest
    /// share nothing with a district administrator: closed, not open).
    fn schools_sharing_notes(&self) -> Result<Vec<SchoolId>, AccessError>;
    fn set_coordinators_read_notes(&self, school_id: &SchoolId, shared: bool) -> Result<(), AccessError>;
    /// Revokes a device; its next request is refused. Returns whether it was active.
    fn revoke(&self, device_id: &DeviceId) -> Result<bool, AccessError>;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
