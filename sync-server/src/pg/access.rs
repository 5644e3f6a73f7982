//! Invites, devices and school policies in PostgreSQL: the same rules as `SqliteAccess`, shared by
//! every relay instance (a device enrolled on one is known to all; a revocation holds everywhere).

use std::sync::Arc;

use crate::access::{AccessError, AccessStore, Device, hash, random_hex};
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

pub(crate) struct PgAccess {
    pub(crate) pool: Arc<Pool>,
}

impl AccessStore for PgAccess {
    fn invite(&self, school_id: &str, role: &str, educator_id: Option<&str>) -> Result<String, AccessError> {
        let code = random_hex(12)?;
        self.pool.run(|c| {
            c.execute(
                "INSERT INTO invites (code_hash, school_id, role, educator_id) VALUES ($1, $2, $3, $4)",
                &[&hash(&code), &school_id, &role, &educator_id],
            )
            .map_err(AccessError::from)
        })?;
        Ok(code)
    }

    fn enroll(&self, code: &str) -> Result<(Device, String), AccessError> {
        let token = random_hex(32)?;
        let device_id = uuid::Uuid::new_v4().to_string();
        self.pool.run(|c| {
            let mut tx = c.transaction()?;
            // Marking the invite used and reading it in one statement: two instances racing on
            // one code cannot both succeed.
            let row = tx
                .query_opt(
                    "UPDATE invites SET used_at = now() WHERE code_hash = $1 AND used_at IS NULL
                     RETURNING school_id, role, educator_id",
                    &[&hash(code)],
                )?
                .ok_or(AccessError::BadInvite)?;
            let device = Device {
                device_id: device_id.clone(),
                school_id: row.get(0),
                role: row.get(1),
                educator_id: row.get(2),
            };
            tx.execute(
                "INSERT INTO devices (device_id, token_hash, school_id, role, educator_id) VALUES ($1, $2, $3, $4, $5)",
                &[&device.device_id, &hash(&token), &device.school_id, &device.role, &device.educator_id],
            )?;
            tx.commit()?;
            Ok((device, token.clone()))
        })
    }

    fn authenticate(&self, token: &str) -> Result<Option<Device>, AccessError> {
        self.pool.run(|c| {
            let row = c.query_opt(
                "SELECT device_id, school_id, role, educator_id FROM devices WHERE token_hash = $1 AND revoked_at IS NULL",
                &[&hash(token)],
            )?;
            Ok(row.map(|r| Device { device_id: r.get(0), school_id: r.get(1), role: r.get(2), educator_id: r.get(3) }))
        })
    }

    fn coordinators_read_notes(&self, school_id: &str) -> Result<bool, AccessError> {
        self.pool.run(|c| {
            let row =
                c.query_opt("SELECT coordinators_read_notes FROM school_policies WHERE school_id = $1", &[&school_id])?;
            Ok(row.is_some_and(|r| r.get(0)))
        })
    }

    fn set_coordinators_read_notes(&self, school_id: &str, shared: bool) -> Result<(), AccessError> {
        self.pool.run(|c| {
            c.execute(
                "INSERT INTO school_policies (school_id, coordinators_read_notes) VALUES ($1, $2)
                 ON CONFLICT (school_id) DO UPDATE SET coordinators_read_notes = excluded.coordinators_read_notes",
                &[&school_id, &shared],
            )?;
            Ok(())
        })
    }

    fn revoke(&self, device_id: &str) -> Result<bool, AccessError> {
        self.pool.run(|c| {
            let n = c.execute(
                "UPDATE devices SET revoked_at = now() WHERE device_id = $1 AND revoked_at IS NULL",
                &[&device_id],
            )?;
            Ok(n == 1)
        })
    }
}
