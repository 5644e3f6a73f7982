-- The phone's query tables: what screens and reports need, derived from the documents by
-- PhoneIndex; the store rebuilds them whenever meta 'index_version:phone' is behind the code.
-- IF NOT EXISTS: a store made before the split has them already (from the store's schema 2).

CREATE TABLE IF NOT EXISTS school_index (
    school_id TEXT PRIMARY KEY,
    name      TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS educator_index (
    educator_id   TEXT PRIMARY KEY,
    school_id     TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    training_date TEXT              -- YYYY-MM-DD or NULL
) STRICT;

CREATE TABLE IF NOT EXISTS family_index (
    family_id    TEXT PRIMARY KEY,
    school_id    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    language     TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS visit_index (
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
CREATE INDEX IF NOT EXISTS visit_by_time ON visit_index (scheduled_at);
CREATE INDEX IF NOT EXISTS visit_by_family ON visit_index (family_id, scheduled_at);
CREATE INDEX IF NOT EXISTS visit_by_school ON visit_index (school_id);

CREATE TABLE IF NOT EXISTS visit_educators (
    visit_id    TEXT NOT NULL,
    educator_id TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (visit_id, educator_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS visit_educators_by_educator ON visit_educators (educator_id);

CREATE TABLE IF NOT EXISTS prompt_pack_index (
    language     TEXT NOT NULL,
    visit_number INTEGER NOT NULL,
    doc_id       TEXT NOT NULL,
    PRIMARY KEY (language, visit_number)
) STRICT;
