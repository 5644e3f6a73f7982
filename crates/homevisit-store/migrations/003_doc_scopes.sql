-- Schema 3: the scope of every document, and who wrote to each visit.
--
-- doc_scopes: whom each document concerns (school, visit, educators), keyed by the *document id*
-- and derived by homevisit_docs::check, which refuses content whose ids differ from the document's
-- id. Access is decided on it (by the relay; by a phone for peer-to-peer sync), never on the
-- screens' query tables: a change to a screen's index cannot change who may read what. A document
-- that fails the check has no row, so nobody but an administrator can read it.
CREATE TABLE doc_scopes (
    doc_id       TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    school_id    TEXT,
    visit_id     TEXT,
    educator_ids TEXT NOT NULL -- comma-separated, in plan order ('' for none)
) STRICT, WITHOUT ROWID;

-- visit_contributors (kept by the relay): educators whose devices stored changes to a visit's log
-- or notes. A partner who wrote there cannot be taken off the visit by the other.
CREATE TABLE visit_contributors (
    visit_id    TEXT NOT NULL,
    educator_id TEXT NOT NULL,
    PRIMARY KEY (visit_id, educator_id)
) STRICT, WITHOUT ROWID;
