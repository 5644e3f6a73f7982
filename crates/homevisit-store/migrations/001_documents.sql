-- Schema 1: documents as a compacted snapshot plus incremental change chunks, and sync state.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value ANY NOT NULL
) STRICT;

-- Small rows: an edit updates its document's row without rewriting the snapshot.
CREATE TABLE documents (
    doc_id       TEXT PRIMARY KEY,     -- "kind/uuid"
    kind         TEXT NOT NULL,
    snapshot_len INTEGER NOT NULL,
    chunk_bytes  INTEGER NOT NULL DEFAULT 0, -- total size of its chunks; compacted past the snapshot's
    heads        BLOB NOT NULL,        -- current heads, sorted 32-byte hashes concatenated
    updated_at   INTEGER NOT NULL      -- unix ms
) STRICT;

-- Rowid tables for the blobs: WITHOUT ROWID tables handle values over ~200 bytes badly.
CREATE TABLE doc_snapshots (
    doc_id TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
    data   BLOB NOT NULL               -- Automerge save(): the compacted document
) STRICT;

CREATE TABLE doc_chunks (
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    data   BLOB NOT NULL,              -- one Automerge change, as stored by Change::bytes()
    PRIMARY KEY (doc_id, seq)
) STRICT;

-- Automerge sync state per (peer, document), so a resumed sync sends only what the peer lacks.
CREATE TABLE sync_states (
    peer_id TEXT NOT NULL,
    doc_id  TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    state   BLOB NOT NULL,
    PRIMARY KEY (peer_id, doc_id)
) STRICT;
