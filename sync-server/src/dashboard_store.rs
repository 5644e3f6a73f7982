//! What the coordinators' dashboard keeps: sign-in accounts (set from a coordinator's or district
//! administrator's invite; the password as an argon2id PHC string, never the password), failed
//! sign-ins and lock-outs, sessions (only the SHA-256 of a session token is stored) and the
//! stipend "paid" marks a coordinator sets. Kept by `embedded_dashboard.rs` (in `access.db`) or
//! `pg/dashboard.rs`; every instance sharing a PostgreSQL database sees the same accounts and
//! sessions. Hashing, cookies and CSRF are the web layer's (`dashboard/`), not this store's.

use homevisit_model::{EducatorId, SchoolId};
use uuid::Uuid;

use crate::access::{AccessError, RecordError, Role};

/// Longest username accepted (checked before anything is stored or looked up).
pub const MAX_USERNAME_CHARS: usize = 64;

/// A dashboard account: a school coordinator's (that school only) or a district administrator's
/// (every school). Never an educator's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub username: String,
    /// The school the invite was for.
    pub school_id: SchoolId,
    /// [`Role::SchoolCoordinator`] or [`Role::DistrictAdmin`].
    pub role: Role,
    /// argon2id, PHC string format.
    pub password_hash: String,
    /// Failed sign-ins since the last successful one.
    pub failed_sign_ins: u32,
    /// Unix milliseconds until which sign-in is refused, if locked.
    pub locked_until_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the token in the cookie.
    pub token_hash: [u8; 32],
    pub account_id: Uuid,
    /// The synchronizer token every form of this session posts back.
    pub csrf_token: String,
    pub created_ms: i64,
    /// Unix milliseconds after which the session is refused (idle expiry, moved on use).
    pub expires_ms: i64,
    /// Unix milliseconds after which it is refused whatever its use (absolute expiry).
    pub absolute_expires_ms: i64,
}

/// What a coordinator's "paid" mark is on: one educator's stipend for one pay period.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PayPeriodKey {
    pub school_id: SchoolId,
    /// `YYYY-MM-DD..YYYY-MM-DD` (both days included).
    pub period: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DashboardStoreError {
    /// Unknown, used, expired, over-long, or an educator's: all answered alike.
    #[error("the invite code is unknown, used or expired")]
    BadInvite,
    #[error("that username is taken")]
    UsernameTaken,
    #[error("the username must be 1 to {MAX_USERNAME_CHARS} letters, digits, '.', '-', '_' or '@'")]
    BadUsername,
    /// No account has that id (only a caller holding a stale id sees this).
    #[error("no such dashboard account")]
    UnknownAccount,
    /// An account was asked for as an educator: dashboard accounts are coordinators' and district
    /// administrators' only.
    #[error("a dashboard account is a coordinator's or a district administrator's")]
    EducatorAccount,
    #[error(transparent)]
    Access(AccessError),
}

impl From<AccessError> for DashboardStoreError {
    /// An unusable invite is the dashboard's [`DashboardStoreError::BadInvite`] (answered alike,
    /// whichever store refused it); any other error stays the access store's.
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::BadInvite => DashboardStoreError::BadInvite,
            e => DashboardStoreError::Access(e),
        }
    }
}

/// A stored stipend mark's `educator_id` column, parsed (a row that does not parse is an error
/// about it, never skipped).
pub(crate) fn paid_educator(column: &str) -> Result<EducatorId, DashboardStoreError> {
    column.parse().map_err(|_| {
        AccessError::Record { what: "a stipend mark".into(), error: RecordError::BadId("educator id") }.into()
    })
}

/// A username as stored and compared: lowercase, 1 to [`MAX_USERNAME_CHARS`] ASCII letters,
/// digits, `.`, `-`, `_` or `@`. Anything else is [`DashboardStoreError::BadUsername`].
pub fn normalize_username(username: &str) -> Result<String, DashboardStoreError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@');
    let chars = username.chars().count();
    if chars == 0 || chars > MAX_USERNAME_CHARS || !username.chars().all(allowed) {
        return Err(DashboardStoreError::BadUsername);
    }
    Ok(username.to_ascii_lowercase())
}

/// A dashboard role: a coordinator's or a district administrator's, never an educator's.
pub fn dashboard_role(role: Role) -> Result<Role, DashboardStoreError> {
    match role {
        Role::SchoolCoordinator | Role::DistrictAdmin => Ok(role),
        Role::Educator(_) => Err(DashboardStoreError::EducatorAccount),
    }
}

/// The school and dashboard role of a taken invite's columns (`school_id`, `role`,
/// `educator_id`): an educator's invite is for a phone, and answered like any unusable code (the
/// caller does not commit, so it stays unused); a row that does not parse is an error about it.
pub(crate) fn invite_account(
    school_id: &str,
    role: &str,
    educator_id: Option<&str>,
) -> Result<(SchoolId, Role), DashboardStoreError> {
    let (school, role) = crate::access::enrollment(school_id, role, educator_id)
        .map_err(|error| AccessError::Record { what: "an invite".into(), error })?;
    Ok((school, dashboard_role(role).map_err(|_| DashboardStoreError::BadInvite)?))
}

impl Account {
    /// An account from its stored columns (`id`, `username`, `school_id`, `role`,
    /// `password_hash`, `failed_sign_ins`, `locked_until`): a row that does not parse is an
    /// error about it, never a guess.
    pub(crate) fn from_columns(
        id: &str,
        username: String,
        school_id: &str,
        role: &str,
        password_hash: String,
        failed_sign_ins: i64,
        locked_until_ms: Option<i64>,
    ) -> Result<Account, DashboardStoreError> {
        let invalid = |error| AccessError::Record { what: "a dashboard account".into(), error };
        let id = id.parse::<Uuid>().map_err(|_| invalid(RecordError::BadId("account id")))?;
        let school_id = school_id.parse::<SchoolId>().map_err(|_| invalid(RecordError::BadId("school id")))?;
        // No educator id column: an `educator` row is refused (an educator has no account).
        let role = Role::from_columns(role, None).map_err(invalid)?;
        Ok(Account {
            id,
            username,
            school_id,
            role,
            password_hash,
            failed_sign_ins: u32::try_from(failed_sign_ins).unwrap_or(u32::MAX),
            locked_until_ms,
        })
    }
}

/// The pay period key of `from..=to` (`YYYY-MM-DD..YYYY-MM-DD`), as the dashboard and the
/// `export` command both write it.
pub fn period_key(school_id: SchoolId, from: chrono::NaiveDate, to: chrono::NaiveDate) -> PayPeriodKey {
    PayPeriodKey { school_id, period: format!("{}..{}", from.format("%Y-%m-%d"), to.format("%Y-%m-%d")) }
}

/// Accounts, sessions and stipend marks, shared by every relay instance on one storage.
pub trait DashboardStore: Send + Sync {
    /// Consumes a coordinator's or district administrator's invite (single-use, unexpired: the
    /// same codes as devices'; an educator's is refused as [`DashboardStoreError::BadInvite`] and
    /// stays unused) and creates an account under `username`, in one transaction.
    fn create_account_from_invite(
        &self,
        invite_code: &str,
        username: &str,
        password_hash: &str,
    ) -> Result<Account, DashboardStoreError>;
    /// Creates an account directly (the operator's `homevisit-relay dashboard-account`, and the
    /// demo). `role` must not be an educator's.
    fn create_account(
        &self,
        school_id: SchoolId,
        role: Role,
        username: &str,
        password_hash: &str,
    ) -> Result<Account, DashboardStoreError>;
    fn account_by_username(&self, username: &str) -> Result<Option<Account>, DashboardStoreError>;
    fn account(&self, id: Uuid) -> Result<Option<Account>, DashboardStoreError>;
    /// Counts a failed sign-in atomically (two instances counting at once both count); at
    /// `lock_after` failures the account is locked until `now_ms + lock_for_ms` and the count
    /// starts again. Returns the account as stored after.
    fn record_failed_sign_in(
        &self,
        id: Uuid,
        now_ms: i64,
        lock_after: u32,
        lock_for_ms: i64,
    ) -> Result<Account, DashboardStoreError>;
    /// A successful sign-in: the failure count goes back to 0.
    fn record_sign_in(&self, id: Uuid) -> Result<(), DashboardStoreError>;
    /// Sets a new password hash, in one transaction with its effects: every session of the
    /// account ends (a changed password signs out everywhere), and its failed sign-ins and any
    /// lock are cleared (the operator's reset is how a locked-out coordinator gets back in).
    fn set_password(&self, id: Uuid, password_hash: &str) -> Result<(), DashboardStoreError>;
    /// Ends every session of the account.
    fn delete_sessions_of(&self, id: Uuid) -> Result<(), DashboardStoreError>;

    fn create_session(&self, session: &Session) -> Result<(), DashboardStoreError>;
    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>, DashboardStoreError>;
    /// Moves a session's idle expiry (never past its absolute expiry).
    fn touch_session(&self, token_hash: &[u8; 32], expires_ms: i64) -> Result<(), DashboardStoreError>;
    fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), DashboardStoreError>;
    /// Forgets sessions expired before `now_ms`.
    fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, DashboardStoreError>;

    /// The educators marked paid for a pay period of a school.
    fn paid(&self, key: &PayPeriodKey) -> Result<Vec<EducatorId>, DashboardStoreError>;
    /// Sets or clears one educator's "paid" mark (by `account`, at `now_ms`).
    fn set_paid(
        &self,
        key: &PayPeriodKey,
        educator: EducatorId,
        paid: bool,
        account: Uuid,
        now_ms: i64,
    ) -> Result<(), DashboardStoreError>;
}
