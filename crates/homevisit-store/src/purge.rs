//! Deleting documents with their history (a family's deletion, a retention purge): every row the
//! store keeps of them (snapshot, change chunks, quarantined chunks, sync states and marks, the
//! index's rows) is removed under `PRAGMA secure_delete` (SQLite overwrites what it frees), then
//! the file is rebuilt (`VACUUM`: no free page or stale cell keeps old bytes) and the WAL is
//! checkpointed and truncated (old page images in it are gone too). Costs a rewrite of the file:
//! an administrative action, never a sync's.

use homevisit_docs::DocId;
use rusqlite::{Connection, params};

use crate::error::{Result, StoreError};
use crate::{Index, Store};

impl<I: Index> Store<I> {
    /// Removes `ids` with all their history (see the module); returns how many were stored.
    pub fn purge_documents(&mut self, ids: &[DocId]) -> Result<usize> {
        self.purge_documents_and(ids, |_| Ok(()))
    }

    /// As [`Store::purge_documents`], with `also` run first in the same transaction, while the
    /// documents' rows are still there (the relay records its tombstones and receipt from its
    /// records of them: all of it commits, or none).
    pub fn purge_documents_and(
        &mut self,
        ids: &[DocId],
        also: impl FnOnce(&Connection) -> Result<()>,
    ) -> Result<usize> {
        self.conn.pragma_update(None, "secure_delete", "ON")?;
        let result = self.batch(|store| {
            also(&store.conn)?;
            let mut stored = 0;
            for id in ids {
                stored += delete_rows::<I>(&store.conn, id)?;
                store.forget_in_memory(id);
            }
            Ok::<_, StoreError>(stored)
        });
        let wiped = result.and_then(|stored| {
            if stored > 0 {
                // Outside any transaction: VACUUM cannot run inside one.
                self.conn.execute_batch("VACUUM;")?;
                checkpoint_truncate(&self.conn)?;
            }
            Ok(stored)
        });
        self.conn.pragma_update(None, "secure_delete", "OFF")?;
        wiped
    }
}

/// Deletes every row of `id` (1 if it was stored, else 0).
fn delete_rows<I: Index>(conn: &Connection, id: &DocId) -> Result<usize> {
    let key = id.to_string();
    I::remove(conn, id)?;
    for table in
        ["sync_marks", "sync_states", "doc_chunks", "doc_snapshots", "quarantined_chunks", "unloaded_documents"]
    {
        conn.execute(&format!("DELETE FROM {table} WHERE doc_id = ?1"), params![key])?;
    }
    Ok(conn.execute("DELETE FROM documents WHERE doc_id = ?1", params![key])?)
}

/// Copies the WAL into the database and truncates it to nothing. Another connection reading at
/// that moment keeps the WAL in use (SQLite reports it busy): tried again for a few seconds, then
/// an error (the deletion is committed; running it again finishes the wipe).
fn checkpoint_truncate(conn: &Connection) -> Result<()> {
    for _ in 0..50 {
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(StoreError::Database("the WAL could not be truncated: another connection kept reading it".into()))
}
