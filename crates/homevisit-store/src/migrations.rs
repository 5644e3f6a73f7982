//! Numbered schema migrations: the document store's (`migrations/NNN_*.sql`, tracked in
//! `PRAGMA user_version`), then its index's ([`Index::MIGRATIONS`], tracked in `meta` under the
//! index's name), each in its own transaction.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::Index;
use crate::error::{Result, StoreError};

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/001_documents.sql"),
    include_str!("../migrations/002_sync_marks.sql"),
    include_str!("../migrations/003_relay_scopes_moved.sql"),
    include_str!("../migrations/004_device_usage_moved.sql"),
    include_str!("../migrations/005_unloaded_documents.sql"),
];

/// The document store's schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the document store's tables to [`LATEST`].
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > LATEST {
        return Err(StoreError::NewerStoreSchema { found: version, supported: LATEST });
    }
    apply(conn, MIGRATIONS, version, |tx, reached| tx.pragma_update(None, "user_version", reached))
}

/// Brings index `I`'s tables to its latest migration.
pub fn migrate_index<I: Index>(conn: &mut Connection) -> Result<()> {
    let key = format!("schema:{}", I::NAME);
    let latest = I::MIGRATIONS.len() as i64;
    let version: i64 =
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| r.get(0)).optional()?.unwrap_or(0);
    if version > latest {
        return Err(StoreError::NewerStoreSchema { found: version, supported: latest });
    }
    apply(conn, I::MIGRATIONS, version, |tx, reached| {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, reached],
        )
        .map(|_| ())
    })
}

/// Runs `migrations` from number `version` on, each in its own transaction with `record` (which
/// stores the version reached) committed alongside it.
fn apply(
    conn: &mut Connection,
    migrations: &[&str],
    version: i64,
    record: impl Fn(&Transaction<'_>, i64) -> rusqlite::Result<()>,
) -> Result<()> {
    for (i, sql) in migrations.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        record(&tx, i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
