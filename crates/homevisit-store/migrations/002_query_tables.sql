-- Schema 2: query tables for what screens need, sync marks, and quarantine for corrupt chunks.
-- The query tables are derived from the documents; the store rebuilds them whenever meta
-- 'index_version' is behind the code (as it is right after this migration).

-- The heads a peer is known to have for a document: "what has not reached the relay yet" is every
-- document whose heads differ from its mark.
CREATE TABLE sync_marks (
    peer_id TEXT NOT NULL,
    doc_id  TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    heads   BLOB NOT NULL,
    PRIMARY KEY (peer_id, doc_id)
) STRICT, WITHOUT ROWID;

-- Chunks that failed to load are moved here at compaction instead of being deleted.
CREATE TABLE quarantined_chunks (
    doc_id   TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    data     BLOB NOT NULL,
    moved_at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, seq)
) STRICT;

CREATE TABLE school_index (
    school_id TEXT PRIMARY KEY,
    name      TEXT NOT NULL
) STRICT;

CREATE TABLE educator_index (
    educator_id   TEXT PRIMARY KEY,
    school_id     TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    training_date TEXT              -- YYYY-MM-DD or NULL
) STRICT;

CREATE TABLE family_index (
    family_id    TEXT PRIMARY KEY,
    school_id    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    language     TEXT NOT NULL
) STRICT;

CREATE TABLE visit_index (
    visit_id         TEXT PRIMARY KEY,
    family_id        TEXT NOT NULL,
    school_id        TEXT NOT NULL,
    scheduled_at     INTEGER NOT NULL, -- unix ms, UTC
    visit_number     INTEGER NOT NULL,
    status           TEXT NOT NULL,
    place_kind       TEXT NOT NULL,
    interpreter      INTEGER NOT NULL,
    started_at       INTEGER,
    ended_at         INTEGER,
    partner_confirmed INTEGER NOT NULL
) STRICT;
CREATE INDEX visit_by_time ON visit_index (scheduled_at);
CREATE INDEX visit_by_family ON visit_index (family_id, scheduled_at);
CREATE INDEX visit_by_school ON visit_index (school_id);

CREATE TABLE visit_educators (
    visit_id    TEXT NOT NULL,
    educator_id TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (visit_id, educator_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX visit_educators_by_educator ON visit_educators (educator_id);

CREATE TABLE prompt_pack_index (
    language     TEXT NOT NULL,
    visit_number INTEGER NOT NULL,
    doc_id       TEXT NOT NULL,
    PRIMARY KEY (language, visit_number)
) STRICT;
