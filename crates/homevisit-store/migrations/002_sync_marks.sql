-- Schema 2: sync marks, and quarantine for corrupt chunks. (Until the document store and its
-- layers were split, this also made the phone's query tables: now migrations/phone/001.)

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
