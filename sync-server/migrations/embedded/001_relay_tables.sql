-- The embedded relay's records (RelayIndex): the scope of every document, who wrote to each
-- visit, and what each device has stored. IF NOT EXISTS: a relay made before the document store
-- and its layers were split has them already (from the store's schemas 3 and 4).
--
-- doc_scopes: whom each document concerns (school, visit, educators), keyed by the *document id*
-- and derived by homevisit_docs::check, which refuses content whose ids differ from the document's
-- id. Access is decided on it, never on a phone's query tables (the relay has none). A document
-- that fails the check has no row, so nobody but an administrator can read it.
CREATE TABLE IF NOT EXISTS doc_scopes (
    doc_id       TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    school_id    TEXT,
    visit_id     TEXT,
    educator_ids TEXT NOT NULL -- comma-separated, in plan order ('' for none)
) STRICT, WITHOUT ROWID;

-- visit_contributors (kept by the relay): educators whose devices stored changes to a visit's log
-- or notes. A partner who wrote there cannot be taken off the visit by the other.
CREATE TABLE IF NOT EXISTS visit_contributors (
    visit_id    TEXT NOT NULL,
    educator_id TEXT NOT NULL,
    PRIMARY KEY (visit_id, educator_id)
) STRICT, WITHOUT ROWID;

-- device_usage (kept by the relay): what each device's changes have stored so far (documents it
-- created, bytes of changes), against the relay's per-device quotas.
CREATE TABLE IF NOT EXISTS device_usage (
    device_id TEXT PRIMARY KEY,
    documents INTEGER NOT NULL,
    bytes     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
