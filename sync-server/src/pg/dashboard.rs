//! The dashboard's accounts, sessions and stipend marks in PostgreSQL (`schema.sql` version 4):
//! the same rules as `SqliteDashboard`, shared by every relay instance (an account made or locked
//! on one holds on all; a session started on one is known to all).

use std::sync::Arc;

use homevisit_model::{EducatorId, SchoolId};
use postgres::error::SqlState;
use uuid::Uuid;

use crate::access::{AccessError, RecordError, Role, invite_hash};
use crate::dashboard_store::{
    Account, DashboardStore, DashboardStoreError, PayPeriodKey, Session, dashboard_role, invite_account,
    normalize_username, paid_educator,
};
use crate::pg::access::take_invite;
use crate::pg::pool::{Pool, PoolError};

impl From<postgres::Error> for DashboardStoreError {
    fn from(e: postgres::Error) -> Self {
        DashboardStoreError::Access(e.into())
    }
}

impl From<PoolError> for DashboardStoreError {
    fn from(e: PoolError) -> Self {
        DashboardStoreError::Access(e.into())
    }
}

pub(crate) struct PgDashboard {
    pub(crate) pool: Arc<Pool>,
}

/// The columns [`account_row`] reads, in its order.
const ACCOUNT_COLUMNS: &str = "id, username, school_id, role, password_hash, failed_sign_ins, locked_until";

fn account_row(r: &postgres::Row) -> Result<Account, DashboardStoreError> {
    Account::from_columns(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6))
}

fn insert_account(
    c: &mut impl postgres::GenericClient,
    school_id: SchoolId,
    role: Role,
    username: String,
    password_hash: &str,
) -> Result<Account, DashboardStoreError> {
    let id = Uuid::new_v4();
    let inserted = c.execute(
        "INSERT INTO dashboard_accounts (id, username, school_id, role, password_hash) VALUES ($1, $2, $3, $4, $5)",
        &[&id.to_string(), &username, &school_id.to_string(), &role.as_str(), &password_hash],
    );
    match inserted {
        Ok(_) => {}
        // The username (ids are random).
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => return Err(DashboardStoreError::UsernameTaken),
        Err(e) => return Err(e.into()),
    }
    Ok(Account {
        id,
        username,
        school_id,
        role,
        password_hash: password_hash.to_string(),
        failed_sign_ins: 0,
        locked_until_ms: None,
    })
}

impl DashboardStore for PgDashboard {
    fn create_account_from_invite(
        &self,
        invite_code: &str,
        username: &str,
        password_hash: &str,
    ) -> Result<Account, DashboardStoreError> {
        // Refused and hashed before a connection is taken.
        let username = normalize_username(username)?;
        let code_hash = invite_hash(invite_code)?;
        self.pool.run(|c| {
            let mut tx = c.transaction()?;
            let (school, role, educator) = take_invite(&mut tx, &code_hash)?;
            // Any refusal below returns before the commit: the invite stays unused.
            let (school_id, role) = invite_account(&school, &role, educator.as_deref())?;
            let account = insert_account(&mut tx, school_id, role, username.clone(), password_hash)?;
            tx.commit()?;
            Ok(account)
        })
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
        self.pool.run(|c| insert_account(c, school_id, role, username.clone(), password_hash))
    }

    fn account_by_username(&self, username: &str) -> Result<Option<Account>, DashboardStoreError> {
        // A name no account can have is looked up nowhere.
        let Ok(username) = normalize_username(username) else { return Ok(None) };
        self.pool.run(|c| {
            let row = c.query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM dashboard_accounts WHERE username = $1"),
                &[&username],
            )?;
            row.as_ref().map(account_row).transpose()
        })
    }

    fn account(&self, id: Uuid) -> Result<Option<Account>, DashboardStoreError> {
        let id = id.to_string();
        self.pool.run(|c| {
            let row =
                c.query_opt(&format!("SELECT {ACCOUNT_COLUMNS} FROM dashboard_accounts WHERE id = $1"), &[&id])?;
            row.as_ref().map(account_row).transpose()
        })
    }

    fn record_failed_sign_in(
        &self,
        id: Uuid,
        now_ms: i64,
        lock_after: u32,
        lock_for_ms: i64,
    ) -> Result<Account, DashboardStoreError> {
        let (id, lock_after, until) = (id.to_string(), i64::from(lock_after), now_ms.saturating_add(lock_for_ms));
        self.pool.run(|c| {
            // One statement: the row is locked while it is counted, so two instances counting at
            // once both count (the second waits for the first, then sees its count).
            let row = c.query_opt(
                &format!(
                    "UPDATE dashboard_accounts SET
                         failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= $2 THEN 0 ELSE failed_sign_ins + 1 END,
                         locked_until = CASE WHEN failed_sign_ins + 1 >= $2 THEN $3 ELSE locked_until END
                     WHERE id = $1 RETURNING {ACCOUNT_COLUMNS}"
                ),
                &[&id, &lock_after, &until],
            )?;
            row.as_ref().map(account_row).ok_or(DashboardStoreError::UnknownAccount)?
        })
    }

    fn record_sign_in(&self, id: Uuid) -> Result<(), DashboardStoreError> {
        let id = id.to_string();
        self.pool.run(|c| {
            let n = c.execute("UPDATE dashboard_accounts SET failed_sign_ins = 0 WHERE id = $1", &[&id])?;
            if n == 0 {
                return Err(DashboardStoreError::UnknownAccount);
            }
            Ok(())
        })
    }

    fn set_password(&self, id: Uuid, password_hash: &str) -> Result<(), DashboardStoreError> {
        let id = id.to_string();
        self.pool.run(|c| {
            let mut tx = c.transaction()?;
            let n =
                tx.execute(
                    "UPDATE dashboard_accounts SET password_hash = $2, failed_sign_ins = 0, locked_until = NULL WHERE id = $1",
                    &[&id, &password_hash],
                )?;
            if n == 0 {
                return Err(DashboardStoreError::UnknownAccount);
            }
            // A changed password signs out everywhere.
            tx.execute("DELETE FROM dashboard_sessions WHERE account_id = $1", &[&id])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn delete_sessions_of(&self, id: Uuid) -> Result<(), DashboardStoreError> {
        let id = id.to_string();
        self.pool.run(|c| {
            c.execute("DELETE FROM dashboard_sessions WHERE account_id = $1", &[&id])?;
            Ok(())
        })
    }

    fn create_session(&self, session: &Session) -> Result<(), DashboardStoreError> {
        let account = session.account_id.to_string();
        let expires = session.expires_ms.min(session.absolute_expires_ms);
        self.pool.run(|c| {
            c.execute(
                "INSERT INTO dashboard_sessions (token_hash, account_id, csrf_token, created, expires, absolute_expires)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &session.token_hash.as_slice(),
                    &account,
                    &session.csrf_token,
                    &session.created_ms,
                    &expires,
                    &session.absolute_expires_ms,
                ],
            )?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>, DashboardStoreError> {
        let row = self.pool.run(|c| {
            Ok::<_, DashboardStoreError>(c.query_opt(
                "SELECT account_id, csrf_token, created, expires, absolute_expires
                 FROM dashboard_sessions WHERE token_hash = $1",
                &[&token_hash.as_slice()],
            )?)
        })?;
        let Some(row) = row else { return Ok(None) };
        let account_id = row.get::<_, &str>(0).parse::<Uuid>().map_err(|_| AccessError::Record {
            what: "a dashboard session".into(),
            error: RecordError::BadId("account id"),
        })?;
        Ok(Some(Session {
            token_hash: *token_hash,
            account_id,
            csrf_token: row.get(1),
            created_ms: row.get(2),
            expires_ms: row.get(3),
            absolute_expires_ms: row.get(4),
        }))
    }

    fn touch_session(&self, token_hash: &[u8; 32], expires_ms: i64) -> Result<(), DashboardStoreError> {
        self.pool.run(|c| {
            c.execute(
                "UPDATE dashboard_sessions SET expires = LEAST($2, absolute_expires) WHERE token_hash = $1",
                &[&token_hash.as_slice(), &expires_ms],
            )?;
            Ok(())
        })
    }

    fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), DashboardStoreError> {
        self.pool.run(|c| {
            c.execute("DELETE FROM dashboard_sessions WHERE token_hash = $1", &[&token_hash.as_slice()])?;
            Ok(())
        })
    }

    fn delete_expired_sessions(&self, now_ms: i64) -> Result<u64, DashboardStoreError> {
        self.pool.run(|c| {
            Ok(c.execute("DELETE FROM dashboard_sessions WHERE expires < $1 OR absolute_expires < $1", &[&now_ms])?)
        })
    }

    fn paid(&self, key: &PayPeriodKey) -> Result<Vec<EducatorId>, DashboardStoreError> {
        let school = key.school_id.to_string();
        let rows = self.pool.run(|c| {
            Ok::<_, DashboardStoreError>(c.query(
                "SELECT educator_id FROM stipend_paid WHERE school_id = $1 AND period = $2 ORDER BY educator_id",
                &[&school, &key.period],
            )?)
        })?;
        rows.iter().map(|r| paid_educator(r.get::<_, &str>(0))).collect()
    }

    fn set_paid(
        &self,
        key: &PayPeriodKey,
        educator: EducatorId,
        paid: bool,
        account: Uuid,
        now_ms: i64,
    ) -> Result<(), DashboardStoreError> {
        let (school, educator, account) = (key.school_id.to_string(), educator.to_string(), account.to_string());
        self.pool.run(|c| {
            if paid {
                c.execute(
                    "INSERT INTO stipend_paid (school_id, period, educator_id, paid_by, paid_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (school_id, period, educator_id)
                     DO UPDATE SET paid_by = excluded.paid_by, paid_at = excluded.paid_at",
                    &[&school, &key.period, &educator, &account, &now_ms],
                )?;
            } else {
                c.execute(
                    "DELETE FROM stipend_paid WHERE school_id = $1 AND period = $2 AND educator_id = $3",
                    &[&school, &key.period, &educator],
                )?;
            }
            Ok(())
        })
    }
}
