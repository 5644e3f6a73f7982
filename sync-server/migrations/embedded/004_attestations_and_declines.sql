-- Issue 11: records a coordinator can pay from, and the family's "no" (see src/attest.rs and
-- src/consent.rs). Records of what devices did, like visit_contributors: never rebuilt from the
-- documents. Ids and times only.

-- Every value a visit's attested fields were given (outcome recorder, family agreement recorder,
-- partner confirmation), by which device (or `import` / `before-attestation`), at relay time.
-- `educator_id` NULL: the field was cleared. The latest row (highest seq) per field is current.
CREATE TABLE IF NOT EXISTS visit_attestations (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    visit_id    TEXT NOT NULL,
    what        TEXT NOT NULL,
    educator_id TEXT,
    device_id   TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS visit_attestations_by_visit ON visit_attestations (visit_id, seq);

-- A family's declined visits; lifted by a coordinator's renewed agreement.
CREATE TABLE IF NOT EXISTS family_declines (
    family_id   TEXT NOT NULL,
    visit_id    TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    declined_at TEXT NOT NULL,
    lifted_at   TEXT,
    lifted_by   TEXT,
    PRIMARY KEY (family_id, visit_id)
);
