-- The relay's tables in PostgreSQL (schema version 1). Applied by every relay instance at start,
-- under an advisory lock; statements are idempotent. Append new versions below; never edit these.
CREATE TABLE IF NOT EXISTS hv_schema (
    version integer NOT NULL
);
-- A value sealed with the relay key, so an instance started with another key refuses to start.
CREATE TABLE IF NOT EXISTS hv_key_check (
    sealed bytea NOT NULL
);
-- One row per document: its whole Automerge save (sealed with the relay key), its heads (sorted hashes, concatenated), and the
-- school and educators access is decided on (NULL school for prompt packs and for notes, which
-- take their visit log's scope).
CREATE TABLE IF NOT EXISTS documents (
    doc_id       text PRIMARY KEY,
    data         bytea NOT NULL,
    heads        bytea NOT NULL,
    school_id    text,
    educator_ids text[] NOT NULL DEFAULT '{}',
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sync_states (
    device_id text NOT NULL,
    doc_id    text NOT NULL,
    state     bytea NOT NULL,
    PRIMARY KEY (device_id, doc_id)
);
CREATE TABLE IF NOT EXISTS sync_marks (
    device_id text NOT NULL,
    doc_id    text NOT NULL,
    heads     bytea NOT NULL,
    PRIMARY KEY (device_id, doc_id)
);
CREATE TABLE IF NOT EXISTS invites (
    code_hash   bytea PRIMARY KEY,
    school_id   text NOT NULL,
    role        text NOT NULL,
    educator_id text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    used_at     timestamptz
);
CREATE TABLE IF NOT EXISTS devices (
    device_id   text PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    school_id   text NOT NULL,
    role        text NOT NULL,
    educator_id text,
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE TABLE IF NOT EXISTS school_policies (
    school_id               text PRIMARY KEY,
    coordinators_read_notes boolean NOT NULL
);

-- Schema version 2: scopes are recomputed from each document's checked content under its own id
-- (homevisit_docs::check; see Postgres::open), and who wrote to each visit is kept.
CREATE TABLE IF NOT EXISTS visit_contributors (
    visit_id    text NOT NULL,
    educator_id text NOT NULL,
    PRIMARY KEY (visit_id, educator_id)
);

-- Added for issue 9 without a version change: additive and idempotent, applied at every start like
-- the statements above (an older instance ignores the columns). Invites expire; invites made
-- before expiry existed expire as if made with the default 14 days. A device's last-seen time is
-- written when it authenticates, at most once a minute.
ALTER TABLE invites ADD COLUMN IF NOT EXISTS expires_at timestamptz;
UPDATE invites SET expires_at = created_at + interval '14 days' WHERE expires_at IS NULL;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_seen_at timestamptz;

-- What each device's changes have stored (documents created, bytes), against its quotas.
CREATE TABLE IF NOT EXISTS device_usage (
    device_id text PRIMARY KEY,
    documents bigint NOT NULL,
    bytes     bigint NOT NULL
);

-- Schema version 3 (issue 11, item 7: deletion, export, retention). The family a family record
-- or a visit log concerns, from its checked content (recomputed for every document on upgrade),
-- so a family's documents are found from the relay's records.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS family_id text;
CREATE INDEX IF NOT EXISTS documents_family ON documents (family_id);
-- Deletion receipts (ids and times only: none of the deleted content), tombstones (a write to a
-- deleted id is refused), devices' confirmations, and district settings (notes retention).
CREATE TABLE IF NOT EXISTS deletion_receipts (
    receipt_id text PRIMARY KEY,
    reason     text NOT NULL,
    family_id  text,
    doc_ids    text NOT NULL,
    deleted_at text NOT NULL,
    deleted_by text NOT NULL
);
CREATE TABLE IF NOT EXISTS deleted_documents (
    doc_id     text PRIMARY KEY,
    receipt_id text NOT NULL REFERENCES deletion_receipts (receipt_id),
    school_id  text
);
CREATE INDEX IF NOT EXISTS deleted_documents_school ON deleted_documents (school_id);
CREATE TABLE IF NOT EXISTS deletion_confirmations (
    doc_id       text NOT NULL REFERENCES deleted_documents (doc_id),
    device_id    text NOT NULL,
    confirmed_at text NOT NULL,
    PRIMARY KEY (doc_id, device_id)
);
CREATE TABLE IF NOT EXISTS relay_settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);
-- Issue 11, additive and idempotent like the statements above (src/attest.rs, src/consent.rs):
-- every value a visit's attested fields were given, by which device (or `import` /
-- `before-attestation`), at relay time (NULL educator: cleared; the highest seq per field is
-- current); and each family's declined visits, lifted by a coordinator's renewed agreement.
CREATE TABLE IF NOT EXISTS visit_attestations (
    seq         bigserial PRIMARY KEY,
    visit_id    text NOT NULL,
    what        text NOT NULL,
    educator_id text,
    device_id   text NOT NULL,
    at          text NOT NULL
);
CREATE INDEX IF NOT EXISTS visit_attestations_by_visit ON visit_attestations (visit_id, seq);
CREATE TABLE IF NOT EXISTS family_declines (
    family_id   text NOT NULL,
    visit_id    text NOT NULL,
    device_id   text NOT NULL,
    declined_at text NOT NULL,
    lifted_at   text,
    lifted_by   text,
    PRIMARY KEY (family_id, visit_id)
);

-- Schema version 4 (issue 13: the coordinators' dashboard). Accounts made from a coordinator's or
-- district administrator's invite (username lowercase; the password as an argon2id PHC string,
-- never the password), failed sign-ins and the lock (Unix ms), sessions (only the SHA-256 of the
-- cookie's token; Unix ms), and the stipends a coordinator marked paid per school and pay period.
CREATE TABLE IF NOT EXISTS dashboard_accounts (
    id              text PRIMARY KEY,
    username        text NOT NULL UNIQUE,
    school_id       text NOT NULL,
    role            text NOT NULL,
    password_hash   text NOT NULL,
    failed_sign_ins bigint NOT NULL DEFAULT 0,
    locked_until    bigint,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS dashboard_sessions (
    token_hash       bytea PRIMARY KEY,
    account_id       text NOT NULL,
    csrf_token       text NOT NULL,
    created          bigint NOT NULL,
    expires          bigint NOT NULL,
    absolute_expires bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS dashboard_sessions_account ON dashboard_sessions (account_id);
CREATE TABLE IF NOT EXISTS stipend_paid (
    school_id   text NOT NULL,
    period      text NOT NULL,
    educator_id text NOT NULL,
    paid_by     text NOT NULL,
    paid_at     bigint NOT NULL,
    PRIMARY KEY (school_id, period, educator_id)
);

-- Schema version 5 (issue 14): where each device's next paged offer starts (the last document id
-- its last cut offer considered), so a page of a first sync costs what it offers; a school's
-- documents, and all documents, in bytewise id order, so a page is listed from index ranges.
CREATE INDEX IF NOT EXISTS documents_school_id ON documents (school_id, doc_id COLLATE "C");
CREATE INDEX IF NOT EXISTS documents_id_bytewise ON documents (doc_id COLLATE "C");
CREATE TABLE IF NOT EXISTS offer_cursors (
    device_id text PRIMARY KEY,
    doc_id    text NOT NULL
);

-- Schema version 6 (issue 14): a visit's notes received whole, stored as they came without being
-- loaded (their first load, or the background check, loads and checks them in full: docs.rs).
CREATE TABLE IF NOT EXISTS unloaded_documents (
    doc_id text PRIMARY KEY REFERENCES documents (doc_id) ON DELETE CASCADE
);

-- Schema version 7 (issue 14): each device's budget of sync work, shared by every instance
-- (device_limit.rs): the time its bucket will be full again (GCRA's "theoretical arrival time"),
-- in nanoseconds since the epoch on the database's clock.
CREATE TABLE IF NOT EXISTS device_turns (
    device_id text PRIMARY KEY,
    full_at   bigint NOT NULL
);

-- Schema version 8 (issue 14): documents.data and sync_states.state (sealed, so incompressible)
-- are stored without compression: set in mod.rs (SEALED_STORAGE) when the schema is made or
-- upgraded, not here, as this file runs at every start.
