-- Deletion, export and retention (issue 11, item 7).
--
-- Every statement is idempotent (IF NOT EXISTS), as the migrations before: a relay file whose
-- index versions were lost runs them again.
--
-- doc_families: the family a family record or a visit log concerns (from homevisit_docs::check,
-- under the document's id), so a family's documents are found from the relay's own records.
-- Filled by the index rebuild this version triggers (RelayIndex::VERSION 2). A table of its own
-- rather than a doc_scopes column: ALTER TABLE ADD COLUMN cannot be made idempotent in SQLite.
CREATE TABLE IF NOT EXISTS doc_families (
    doc_id    TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    family_id TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_families_family ON doc_families (family_id);

-- deletion_receipts: what was deleted (family or retention purge, document ids), when, by whom.
-- Ids and times only: none of the deleted content.
CREATE TABLE IF NOT EXISTS deletion_receipts (
    receipt_id TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,          -- 'family' or 'retention'
    family_id  TEXT,                   -- for 'family'
    doc_ids    TEXT NOT NULL,          -- comma-separated document ids
    deleted_at TEXT NOT NULL,          -- RFC 3339, UTC
    deleted_by TEXT NOT NULL           -- 'operator'
) STRICT;

-- deleted_documents: tombstones. A write to a deleted id is refused (Forbidden), so a device that
-- still holds the document cannot bring it back; every device of its school (the school recorded
-- for it, or for notes their visit log's, when it was deleted) is told to delete it.
CREATE TABLE IF NOT EXISTS deleted_documents (
    doc_id     TEXT PRIMARY KEY,
    receipt_id TEXT NOT NULL REFERENCES deletion_receipts(receipt_id),
    school_id  TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deleted_documents_school ON deleted_documents (school_id);

-- deletion_confirmations: which device confirmed deleting which deleted document, and when.
CREATE TABLE IF NOT EXISTS deletion_confirmations (
    doc_id       TEXT NOT NULL REFERENCES deleted_documents(doc_id),
    device_id    TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    PRIMARY KEY (doc_id, device_id)
) STRICT, WITHOUT ROWID;

-- relay_settings: the district's settings kept by the relay (retention: 'notes_months').
CREATE TABLE IF NOT EXISTS relay_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
