//! Dashboard accounts the operator makes (`homevisit-relay dashboard-account`, and the demo's)
//! and whose password the operator resets (`dashboard-password`):
//! the password hashed with argon2id here (`dashboard_password`), the account stored
//! (`dashboard_store`), the action audited by ids only (never the username).

use std::io::BufRead;

use homevisit_model::SchoolId;

use crate::access::Role;
use crate::audit::AuditEvent;
use crate::dashboard_password::{PasswordError, hash_password};
use crate::dashboard_store::{Account, DashboardStoreError};
use crate::{Relay, RelayError};

/// Where `dashboard-account` takes the password from, if set (else one line of stdin).
pub const PASSWORD_ENV: &str = "HOMEVISIT_DASHBOARD_PASSWORD";

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] DashboardStoreError),
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error("no password: set {PASSWORD_ENV} or give it as one line on stdin")]
    NoPassword,
    #[error("no dashboard account has that username")]
    UnknownUsername,
}

/// The password: `from_env` if given, else the first line of `input` (its line break dropped).
pub fn read_password(from_env: Option<String>, input: impl BufRead) -> Result<String, AccountError> {
    let password = match from_env {
        Some(p) => p,
        None => {
            // One line, read with a bound: no more than the longest password accepted (and its
            // line break) is kept.
            let mut line = String::new();
            let limit = (crate::dashboard_password::MAX_PASSWORD_CHARS as u64 + 2) * 4;
            input.take(limit).read_line(&mut line).map_err(|_| AccountError::NoPassword)?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
    };
    if password.is_empty() {
        return Err(AccountError::NoPassword);
    }
    Ok(password)
}

impl Relay {
    /// Makes a dashboard account for `school` as `role` (a coordinator's or a district
    /// administrator's) with `password`, hashed before it is stored; audited by id.
    pub fn create_dashboard_account(
        &self,
        school: SchoolId,
        role: Role,
        username: &str,
        password: &str,
    ) -> Result<Account, AccountError> {
        // Checked before the (costly) hash.
        crate::dashboard_store::normalize_username(username)?;
        crate::dashboard_store::dashboard_role(role)?;
        let hash = hash_password(password)?;
        let account = self.dashboard().create_account(school, role, username, &hash)?;
        self.audit_operator(&[AuditEvent::DashboardAccountCreated { account: account.id, school, role }])?;
        Ok(account)
    }
}

impl Relay {
    /// Gives the account named `username` a new `password` (a coordinator who forgot theirs, or
    /// is locked out): hashed before it is stored, every session of the account ended, its failed
    /// sign-ins and lock cleared; audited by id.
    pub fn reset_dashboard_password(&self, username: &str, password: &str) -> Result<Account, AccountError> {
        let account = self.dashboard().account_by_username(username)?.ok_or(AccountError::UnknownUsername)?;
        let hash = hash_password(password)?;
        self.dashboard().set_password(account.id, &hash)?;
        self.audit_operator(&[AuditEvent::DashboardPasswordReset { account: account.id }])?;
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_comes_from_the_environment_or_one_line_of_input() {
        let env = read_password(Some("from the environment".into()), &b"ignored\n"[..]).unwrap();
        assert_eq!(env, "from the environment");
        assert_eq!(
            read_password(None, &b"correct horse battery\r\nsecond line\n"[..]).unwrap(),
            "correct horse battery"
        );
        assert!(matches!(read_password(None, &b""[..]), Err(AccountError::NoPassword)));
        assert!(matches!(read_password(None, &b"\n"[..]), Err(AccountError::NoPassword)));
        assert!(matches!(read_password(Some(String::new()), &b"x\n"[..]), Err(AccountError::NoPassword)));
        // An endless line is cut at the bound, then refused as too long when hashed.
        let long = "x".repeat(1 << 16);
        let read = read_password(None, long.as_bytes()).unwrap();
        assert!(read.len() < 2000);
        assert_eq!(hash_password(&read), Err(PasswordError::Length));
    }

    #[test]
    fn an_account_is_made_with_a_hashed_password_and_audited_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let relay = Relay::open(dir.path()).unwrap();
        let school = SchoolId::new();
        let account =
            relay.create_dashboard_account(school, Role::SchoolCoordinator, "Dana", "correct horse battery").unwrap();
        assert_eq!(account.username, "dana");
        assert!(crate::dashboard_password::verify_password("correct horse battery", &account.password_hash));
        let entries = relay.audit().entries(0, 10).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].action.as_str(), entries[0].subject.clone()),
            ("dashboard_account", account.id.to_string())
        );
        assert!(!format!("{entries:?}").to_lowercase().contains("dana"));
        // Refused before anything is stored or audited.
        for refused in [
            relay.create_dashboard_account(school, Role::SchoolCoordinator, "dana", "correct horse battery"),
            relay.create_dashboard_account(school, Role::SchoolCoordinator, "bad name", "correct horse battery"),
            relay.create_dashboard_account(school, Role::SchoolCoordinator, "short", "short"),
            relay.create_dashboard_account(
                school,
                Role::Educator(homevisit_model::EducatorId::new()),
                "e",
                "correct horse battery",
            ),
        ] {
            assert!(refused.is_err());
        }
        assert_eq!(relay.audit().entries(0, 10).unwrap().len(), 1);
    }
}
