-- A phone keeps no relay records: stores made before the split had the relay's tables too
-- (empty but for doc_scopes, which nothing on a phone reads).
DROP TABLE IF EXISTS doc_scopes;
DROP TABLE IF EXISTS visit_contributors;
DROP TABLE IF EXISTS device_usage;
