//! The hook between the document store and a layer on top: after every change, and in the same
//! transaction, the store hands the document's checked content to its [`Index`], which keeps
//! tables of its own (the phone's screens: [`crate::PhoneIndex`]; the relay's access records: the
//! relay's own). The store never reads an index's tables.

use automerge::AutoCommit;
use homevisit_docs::{Content, DocId};
use rusqlite::Connection;

use crate::error::{Result, StoreError};

/// What a layer derives from the documents, kept current by the store.
///
/// Stateless: the tables are the index's state. Every method runs inside the store's transaction
/// for the change, so the tables never disagree with the documents.
pub trait Index {
    /// The index's name: its schema and build versions are kept under it in the store's `meta`.
    const NAME: &'static str;
    /// Bump when what [`Index::apply`] writes changes: the next open rebuilds the tables from the
    /// documents.
    const VERSION: i64;
    /// The index's own migrations (its tables), applied in order after the document store's.
    /// Tracked separately from them, so a layer changes its tables without touching the store's.
    const MIGRATIONS: &'static [&'static str];
    /// Empties the index's tables (before a rebuild).
    fn clear(conn: &Connection) -> Result<()>;
    /// Writes what document `id`, whose checked content is `content`, contributes.
    fn apply(conn: &Connection, id: &DocId, content: &Content) -> Result<()>;
    /// Removes what document `id` contributed (it is being purged: [`crate::Store::purge_documents`]).
    fn remove(conn: &Connection, id: &DocId) -> Result<()>;
}

/// Checks document `id` and reads its content ([`homevisit_docs::check`]). A document whose
/// content disagrees with its id, or whose record is invalid, is an error: it is never stored
/// from elsewhere, and never indexed.
pub(crate) fn checked_content(id: &DocId, doc: &AutoCommit) -> Result<Content> {
    homevisit_docs::check(id, doc).map_err(StoreError::doc(*id))
}
