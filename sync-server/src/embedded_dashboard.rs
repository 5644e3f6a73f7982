//! The embedded relay's [`DashboardStore`]: dashboard accounts, their sessions and the stipend
//! "paid" marks, in `access.db` beside the invites they are made from (one connection, shared
//! with `crate::embedded_access`, so an invite is taken and its account made in one
//! transaction). The rules (usernames, roles, rows parsed from their columns) are
//! `crate::dashboard_store`'s; PostgreSQL's implementation is `crate::pg::dashboard`.

use std::sync::{Arc, Mutex, MutexGuard};

use homevisit_model::{EducatorId, SchoolId};
use homevisit_store::EncryptedConnection;
use rusqlite::{ErrorCode, OptionalExtension, Row, params};
use uuid::Uuid;

use crate::access::{AccessError, RecordError, Role, invite_hash};
use crate::dashboard_store::{
    Account, DashboardStore, DashboardStoreError, PayPeriodKey, Session, dashboard_role, invite_account,
    normalize_username, paid_educator,
};
use crate::embedded_access::{SqliteAccess, lock, now_ms, take_invite};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dashboard_accounts (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    school_id       TEXT NOT NULL,
    role            TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS dashboard_sessions (
    token_hash       BLOB PRIMARY KEY,
    account_id       TEXT NOT NULL,
    csrf_token       TEXT NOT NULL,
    created          INTEGER NOT NULL,
    expires          INTEGER NOT NULL,
    absolute_expires INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS dashboard_sessions_account ON dashboard_sessions (account_id);
CREATE TABLE IF NOT EXISTS stipend_paid (
    school_id   TEXT NOT NULL,
    period      TEXT NOT NULL,
    educator_id TEXT NOT NULL,
    paid_by     TEXT NOT NULL,
    paid_at     INTEGER NOT NULL,
    PRIMARY KEY (school_id, period, educator_id)
) STRICT;";

/// The columns [`account_row`] reads, in its order.
const ACCOUNT_COLUMNS: &str = "id, username, school_id, role, password_hash, failed_sign_ins, locked_until";

pub struct SqliteDashboard {
    conn: Arc<Mutex<EncryptedConnection>>,
}

impl From<rusqlite::Error> for DashboardStoreError {
    fn from(e: rusqlite::Error) -> Self {
        DashboardStoreError::Access(e.into())
    }
}

/// A row of [`ACCOUNT_COLUMNS`], parsed (a row that does not parse is an error about it).
fn account_row(r: &Row<'_>) -> rusqlite::Result<Result<Account, DashboardStoreError>> {
    let (id, school, role): (String, String, String) = (r.get(0)?, r.get(2)?, r.get(3)?);
    Ok(Account::from_columns(&id, r.get(1)?, &school, &role, r.get(4)?, r.get(5)?, r.get(6)?))
}

/// A `UNIQUE` constraint failed (the username is taken).
fn unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == ErrorCode::ConstraintViolation && f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

impl SqliteDashboard {
    /// The dashboard's tables in `access`'s file (made if missing).
    pub fn open(access: &SqliteAccess) -> Result<Self, AccessError> {
        let conn = access.connection();
        lock(&conn).execute_batch(SCHEMA)?;
        Ok(Self { conn })
    }

    fn conn(&self) -> MutexGuard<'_, EncryptedConnection> {
        lock(&self.conn)
    }

    /// Inserts an account in `conn` (a transaction's or the connection itself).
    fn insert_account(
        conn: &rusqlite::Connection,
        school_id: SchoolId,
        role: Role,
        username: String,
        password_hash: &str,
        now: i64,
    ) -> Result<Account, DashboardStoreError> {
        let id = Uuid::new_v4();
        let inserted = conn.execute(
            "INSERT INTO dashboard_accounts (id, username, school_id, role, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id.to_string(), username, school_id.to_string(), role.as_str(), password_hash, now],
        );
        match inserted {
            Ok(_) => Ok(Account {
                id,
                username,
                school_id,
                role,
                password_hash: password_hash.to_string(),
                failed_sign_ins: 0,
                locked_until_ms: None,
            }),
            Err(e) if unique_violation(&e) => Err(DashboardStoreError::UsernameTaken),
            Err(e) => Err(e.into()),
        }
    }
}

impl DashboardStore for SqliteDashboard {
    fn create_account_from_invite(
        &self,
        invite_code: &str,
        username: &str,
        password_hash: &str,
    ) -> Result<Account, DashboardStoreError> {
        let username = normalize_username(username)?;
        let code_hash = invite_hash(invite_code)?;
        let now = now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (school, role, educator) = take_invite(&tx, &code_hash, now)?;
        // Any refusal below returns before the commit: the invite stays unused.
        let (school_id, role) = invite_account(&school, &role, educator.as_deref())?;
        let account = Self::insert_account(&tx, school_id, role, username, password_hash, now)?;
        tx.commit()?;
        Ok(account)
    }

    fn create_account(
        &self,
        school_id: SchoolId,
        role: Role,
        username: &str,
        password_hash: &str,
    ) -> Result<Account, DashboardStoreError> {
        let role = dashboard_role(role)?;
        let username = normalize_username(username)?;
        Self::insert_account(&self.conn(), school_id, role, username, password_hash, now_ms())
    }

    fn account_by_username(&self, username: &str) -> Result<Option<Account>, DashboardStoreError> {
        // A name no account can have is looked up nowhere.
        let Ok(username) = normalize_username(username) else { return Ok(None) };
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM dashboard_accounts WHERE username = ?1"))?
            .query_row([username], account_row)
            .optional()?;
        row.transpose()
    }

    fn account(&self, id: Uuid) -> Result<Option<Account>, DashboardStoreError> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM dashboard_accounts WHERE id = ?1"))?
            .query_row([id.to_string()], account_row)
            .optional()?;
        row.transpose()
    }

    fn record_failed_sign_in(
        &self,
        id: Uuid,
        now_ms: i64,
        lock_after: u32,
        lock_for_ms: i64,
    ) -> Result<Account, DashboardStoreError> {
        // One statement: the count and the lock are read and written together (the right-hand
        // sides all see the row as it was).
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!(
                "UPDATE dashboard_accounts SET
                     failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= ?2 THEN 0 ELSE failed_sign_ins + 1 END,
                     locked_until = CASE WHEN failed_sign_ins + 1 >= ?2 THEN ?3 ELSE locked_until END
                 WHERE id = ?1 RETURNING {ACCOUNT_COLUMNS}"
            ))?
            .query_row(params![id.to_string(), lock_after, now_ms.saturating_add(lock_for_ms)], account_row)
            .optional()?;
        row.ok_or(DashboardStoreError::UnknownAccount)?
    }

    fn record_sign_in(&self, id: Uuid) -> Result<(), DashboardStoreError> {
        let n =
            self.conn().execute("UPDATE dashboard_accounts SET failed_sign_ins = 0 WHERE id = ?1", [id.to_string()])?;
        if n == 0 {
            return Err(DashboardStoreError::UnknownAccount);
        }
        Ok(())
    }

    fn set_password(&self, id: Uuid, password_hash: &str) -> Result<(), DashboardStoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE dashboard_accounts SET password_hash = ?2, failed_sign_ins = 0, locked_until = NULL WHERE id = ?1",
            params![id.to_string(), password_hash],
        )?;
        if n == 0 {
            return Err(DashboardStoreError::UnknownAccount);
        }
        // A changed password signs out everywhere.
        tx.execute("DELETE FROM dashboard_sessions WHERE account_id = ?1", [id.to_string()])?;
        tx.commit()?;
        Ok(())
    }

    fn delete_sessions_of(&self, id: Uuid) -> Result<(), DashboardStoreError> {
        self.conn().execute("DELETE FROM dashboard_sessions WHERE account_id = ?1", [id.to_string()])?;
        Ok(())
    }

    fn create_session(&self, session: &Session) -> Result<(), DashboardStoreError> {
        self.conn().execute(
            "INSERT INTO dashboard_sessions (token_hash, account_id, csrf_token, created, expires, absolute_expires)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                session.token_hash.as_slice(),
                session.account_id.to_string(),
                session.csrf_token,
                session.created_ms,
                session.expires_ms.min(session.absolute_expires_ms),
                session.absolute_expires_ms
            ],
        )?;
        Ok(())
    }

    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>, DashboardStoreError> {
        let conn = self.conn();
        let row: Option<(String, String, i64, i64, i64)> = conn
            .prepare_cached(
                "SELECT account_id, csrf_token, created, expires, absolute_expires
                 FROM dashboard_sessions WHERE token_hash = ?1",
            )?
            .query_row([token_hash.as_slice()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .optional()?;
        let Some((account, csrf_token, created_ms, expires_ms, absolute_expires_ms)) = row else { return Ok(None) };
        let account_id = account.parse::<Uuid>().map_err(|_| AccessError::Record {
            what: "a dashboard session".into(),
            error: RecordError::BadId("account id"),
        })?;
        Ok(Some(Session {
            token_hash: *token_hash,
            account_id,
            csrf_token,
            created_ms,
            expires_ms,
            absolute_expires_ms,
        }))
    }

    fn touch_session(&self, token_hash: &[u8; 32], expires_ms: i64) -> Result<(), DashboardStoreError> {
        self.conn().execute(
            "UPDATE dashboard_sessions SET expires = min(?2, absolute_expires) WHERE token_hash = ?1",
            params![token_hash.as_slice(), expires_ms],
        )?;
        Ok(())
    }

    fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), DashboardStoreError> {
        self.conn().execute("DELETE FROM dashboard_sessions WHERE token_hash = ?1", [token_hash.as_slice()])?;
        Ok(())
    }

    fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, DashboardStoreError> {
        let n = self
            .conn()
            .execute("DELETE FROM dashboard_sessions WHERE expires < ?1 OR absolute_expires < ?1", [now_ms])?;
        Ok(n as u64)
    }

    fn paid(&self, key: &PayPeriodKey) -> Result<Vec<EducatorId>, DashboardStoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare_cached(
            "SELECT educator_id FROM stipend_paid WHERE school_id = ?1 AND period = ?2 ORDER BY educator_id",
        )?;
        let rows = statement.query_map(params![key.school_id.to_string(), key.period], |r| r.get::<_, String>(0))?;
        rows.map(|r| paid_educator(&r?)).collect()
    }

    fn set_paid(
        &self,
        key: &PayPeriodKey,
        educator: EducatorId,
        paid: bool,
        account: Uuid,
        now_ms: i64,
    ) -> Result<(), DashboardStoreError> {
        let (school, educator) = (key.school_id.to_string(), educator.to_string());
        if paid {
            self.conn().execute(
                "INSERT INTO stipend_paid (school_id, period, educator_id, paid_by, paid_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (school_id, period, educator_id) DO UPDATE SET paid_by = excluded.paid_by, paid_at = excluded.paid_at",
                params![school, key.period, educator, account.to_string(), now_ms],
            )?;
        } else {
            self.conn().execute(
                "DELETE FROM stipend_paid WHERE school_id = ?1 AND period = ?2 AND educator_id = ?3",
                params![school, key.period, educator],
            )?;
        }
        Ok(())
    }
}
