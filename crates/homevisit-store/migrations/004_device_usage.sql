-- device_usage (kept by the relay): what each device's changes have stored so far (documents it
-- created, bytes of changes), against the relay's per-device quotas.
CREATE TABLE device_usage (
    device_id TEXT PRIMARY KEY,
    documents INTEGER NOT NULL,
    bytes     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
