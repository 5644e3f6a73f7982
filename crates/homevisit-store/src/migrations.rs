//! Numbered schema migrations (`migrations/NNN_*.sql`), tracked in `PRAGMA user_version`.

use rusqlite::Connection;

use crate::error::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_documents.sql"),
    include_str!("../migrations/002_query_tables.sql"),
    include_str!("../migrations/003_doc_scopes.sql"),
    include_str!("../migrations/004_device_usage.sql"),
];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`LATEST`], one transaction per migration.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > LATEST {
        return Err(StoreError::NewerStoreSchema { found: version, supported: LATEST });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
