//! Invites, devices and school policies in PostgreSQL: the same rules as `SqliteAccess`, shared by
//! every relay instance (a device enrolled on one is known to all; a revocation holds everywhere).

use std::sync::Arc;
use std::time::Duration;

use homevisit_model::SchoolId;
use homevisit_sync::DeviceId;

use crate::access::{
    AccessError, AccessStore, Device, DeviceRecord, LAST_SEEN_EVERY, MAX_SHARING_SCHOOLS, Role, hash, invite_hash,
    last_seen_failed, millis, new_device_id, random_hex, token_hash,
};
use crate::pg::pool::Pool;

impl From<postgres::Error> for AccessError {
    fn from(e: postgres::Error) -> Self {
        AccessError::Database(e.to_string())
    }
}

impl From<crate::pg::pool::PoolError> for AccessError {
    fn from(e: crate::pg::pool::PoolError) -> Self {
        AccessError::Database(e.to_string())
    }
}

/// An invite's stored columns: school id, role, educator id.
pub(crate) type InviteColumns = (String, String, Option<String>);

/// Marks an unused, unexpired invite used in `tx` and returns its columns, or `BadInvite`. Marking
/// and reading are one statement: two instances racing on one code cannot both succeed; an
/// expired one is left as it is. The caller commits only if it takes what the invite is for:
/// anything else rolls back and the invite stays unused. Devices' enrollment and dashboard
/// accounts both use it; `code_hash` is `invite_hash`'s, computed before a connection was taken.
pub(crate) fn take_invite(tx: &mut postgres::Transaction<'_>, code_hash: &[u8]) -> Result<InviteColumns, AccessError> {
    let row = tx
        .query_opt(
            "UPDATE invites SET used_at = now()
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
             RETURNING school_id, role, educator_id",
            &[&code_hash],
        )?
        .ok_or(AccessError::BadInvite)?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

pub(crate) struct PgAccess {
    pub(crate) pool: Arc<Pool>,
}

/// A timestamp column as epoch milliseconds (the postgres crate is built without chrono).
macro_rules! ms {
    ($column:literal) => {
        concat!("(extract(epoch FROM ", $column, ") * 1000)::bigint")
    };
}

impl AccessStore for PgAccess {
    fn invite_valid_for(&self, school_id: &SchoolId, role: &Role, valid_for: Duration) -> Result<String, AccessError> {
        let code = random_hex(12)?;
        let code_hash = hash(&code);
        let (school, educator) = (school_id.to_string(), role.educator_column());
        self.pool.run(|c| {
            c.execute(
                "INSERT INTO invites (code_hash, school_id, role, educator_id, expires_at)
                 VALUES ($1, $2, $3, $4, now() + $5::bigint * interval '1 millisecond')",
                &[&code_hash, &school, &role.as_str(), &educator, &millis(valid_for)],
            )
            .map_err(AccessError::from)
        })?;
        Ok(code)
    }

    fn enroll(&self, code: &str) -> Result<(Device, String), AccessError> {
        // Refused and hashed before a connection is taken.
        let code_hash = invite_hash(code)?;
        let token = random_hex(32)?;
        let token_hash = hash(&token);
        let device_id = new_device_id();
        self.pool.run(|c| {
            let mut tx = c.transaction()?;
            let (school, role, educator) = take_invite(&mut tx, &code_hash)?;
            // An invite that does not parse enrolls nothing (the transaction rolls back).
            let device = Device::enrolled(device_id.clone(), &school, &role, educator.as_deref())?;
            tx.execute(
                "INSERT INTO devices (device_id, token_hash, school_id, role, educator_id) VALUES ($1, $2, $3, $4, $5)",
                &[&device.device_id.as_str(), &token_hash, &school, &role, &educator],
            )?;
            tx.commit()?;
            Ok((device, token.clone()))
        })
    }

    fn authenticate(&self, token: &str) -> Result<Option<Device>, AccessError> {
        let Some(token_hash) = token_hash(token) else { return Ok(None) };
        let every = millis(LAST_SEEN_EVERY);
        self.pool.run(|c| {
            let Some(row) = c.query_opt(
                "SELECT device_id, school_id, role, educator_id,
                        last_seen_at IS NULL OR last_seen_at < now() - $2::bigint * interval '1 millisecond'
                 FROM devices WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&token_hash, &every],
            )?
            else {
                return Ok(None);
            };
            let (school, role, educator): (String, String, Option<String>) = (row.get(1), row.get(2), row.get(3));
            let device = Device::from_columns(row.get(0), &school, &role, educator.as_deref())?;
            if row.get::<_, bool>(4) {
                let seen = c.execute(
                    "UPDATE devices SET last_seen_at = now() WHERE device_id = $1",
                    &[&device.device_id.as_str()],
                );
                if let Err(e) = seen {
                    last_seen_failed(&e.into());
                }
            }
            Ok(Some(device))
        })
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, AccessError> {
        self.pool.run(|c| {
            let rows = c.query(
                concat!(
                    "SELECT device_id, school_id, role, educator_id, ",
                    ms!("enrolled_at"),
                    ", ",
                    ms!("last_seen_at"),
                    ", ",
                    ms!("revoked_at"),
                    " FROM devices ORDER BY enrolled_at, device_id"
                ),
                &[],
            )?;
            rows.iter()
                .map(|r| {
                    let (school, role, educator): (String, String, Option<String>) = (r.get(1), r.get(2), r.get(3));
                    DeviceRecord::from_columns(
                        r.get(0),
                        (&school, &role, educator.as_deref()),
                        r.get(4),
                        r.get(5),
                        r.get(6),
                    )
                })
                .collect()
        })
    }

    fn revoked(&self, token: &str) -> Result<bool, AccessError> {
        let Some(token_hash) = token_hash(token) else { return Ok(false) };
        self.pool.run(|c| {
            let row =
                c.query_opt("SELECT 1 FROM devices WHERE token_hash = $1 AND revoked_at IS NOT NULL", &[&token_hash])?;
            Ok(row.is_some())
        })
    }

    fn schools_sharing_notes(&self) -> Result<Vec<SchoolId>, AccessError> {
        self.pool.run(|c| {
            let rows = c.query(
                "SELECT school_id FROM school_policies WHERE coordinators_read_notes ORDER BY school_id LIMIT $1",
                &[&MAX_SHARING_SCHOOLS],
            )?;
            // A row that is not a school id shares nothing (closed, not open).
            Ok(rows.iter().filter_map(|r| r.get::<_, String>(0).parse().ok()).collect())
        })
    }

    fn coordinators_read_notes(&self, school_id: &SchoolId) -> Result<bool, AccessError> {
        let school = school_id.to_string();
        self.pool.run(|c| {
            let row =
                c.query_opt("SELECT coordinators_read_notes FROM school_policies WHERE school_id = $1", &[&school])?;
            Ok(row.is_some_and(|r| r.get(0)))
        })
    }

    fn set_coordinators_read_notes(&self, school_id: &SchoolId, shared: bool) -> Result<(), AccessError> {
        let school = school_id.to_string();
        self.pool.run(|c| {
            c.execute(
                "INSERT INTO school_policies (school_id, coordinators_read_notes) VALUES ($1, $2)
                 ON CONFLICT (school_id) DO UPDATE SET coordinators_read_notes = excluded.coordinators_read_notes",
                &[&school, &shared],
            )?;
            Ok(())
        })
    }

    fn revoke(&self, device_id: &DeviceId) -> Result<bool, AccessError> {
        self.pool.run(|c| {
            let n = c.execute(
                "UPDATE devices SET revoked_at = now() WHERE device_id = $1 AND revoked_at IS NULL",
                &[&device_id.as_str()],
            )?;
            Ok(n == 1)
        })
    }
}
