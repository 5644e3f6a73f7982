-- Issue 14: where each device's next paged offer starts (the last document id its last cut
-- offer considered): a page of a first sync costs what it offers, not what the device has still
-- to receive. Only ids; losing a row only means the next offer starts at the first document.
CREATE TABLE IF NOT EXISTS offer_cursors (
    peer_id TEXT PRIMARY KEY,
    doc_id  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- A school's documents in id order (for notes, their visit logs'): a device's candidates are
-- listed from it a page at a time, without walking other schools' documents.
CREATE INDEX IF NOT EXISTS doc_scopes_school ON doc_scopes (school_id, doc_id);
