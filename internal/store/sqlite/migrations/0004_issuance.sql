-- Managed certificates: the ACME write-ahead records, the ACME accounts,
-- the HTTP-01 responses every edge answers, and the DNS-01 values the DCV
-- zone serves (store.Issuances).

-- The hostname's label in the DCV delegation zone (core.SSL.DCVLabel),
-- NULL when it has none. A full unique index, not a partial one: NULLs are
-- distinct in it, so only real labels must be unique, and SQLite accepts
-- only a full unique index as the parent of dcv_values' foreign key. A
-- label lookup (the DNS server's one question) is one probe of it.
ALTER TABLE hostnames ADD COLUMN ssl_dcv_label TEXT;
CREATE UNIQUE INDEX hostnames_dcv_label ON hostnames (ssl_dcv_label);

-- One row per acme.Issuance. Lists and nested values are compact JSON
-- text (package columns), NULL when empty; times are unix microseconds.
-- The lease columns are bookkeeping beside the record: claiming and
-- releasing never change version.
CREATE TABLE acme_issuances (
    id                 TEXT    NOT NULL PRIMARY KEY,
    zone_id            TEXT    NOT NULL,
    -- A record never outlives its hostname.
    hostname_id        TEXT    NOT NULL REFERENCES hostnames (id) ON DELETE CASCADE,
    identifiers        TEXT,
    method             TEXT    NOT NULL,
    http_ready         INTEGER NOT NULL,
    dcv_label          TEXT    NOT NULL,
    ca                 TEXT    NOT NULL,
    replaces           TEXT    NOT NULL,
    deadline           INTEGER,          -- NULL: none
    step               TEXT    NOT NULL,
    account_url        TEXT    NOT NULL,
    order_url          TEXT    NOT NULL,
    finalize_url       TEXT    NOT NULL,
    cert_url           TEXT    NOT NULL,
    authzs             TEXT,
    key_ciphertext     BLOB,             -- sealed by the caller
    result             TEXT,             -- NULL before step downloaded
    attempts           INTEGER NOT NULL,
    retries            INTEGER NOT NULL,
    next_attempt_at    INTEGER NOT NULL,
    last_error         TEXT    NOT NULL,
    validation_errors  TEXT,
    validation_records TEXT,
    http_failed        INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL,
    leased_until       INTEGER,
    lease_owner        TEXT
) STRICT;

-- At most one live (not done, not failed) record per hostname: racing
-- creators meet here and all but one get a conflict.
CREATE UNIQUE INDEX acme_issuances_live ON acme_issuances (hostname_id)
    WHERE step NOT IN ('done', 'failed');
-- "What is due now?": live records by next_attempt_at. Terminal records,
-- the bulk of the table in the long run, are not in it. Queries repeat the
-- predicate word for word so that SQLite uses the index.
CREATE INDEX acme_issuances_due ON acme_issuances (next_attempt_at, id)
    WHERE step NOT IN ('done', 'failed');
-- A hostname's records, newest first; also the cascade's lookup.
CREATE INDEX acme_issuances_hostname ON acme_issuances (hostname_id, created_at, id);

-- One account per CA directory.
CREATE TABLE acme_accounts (
    ca             TEXT    NOT NULL,
    directory_url  TEXT    NOT NULL,
    key_ciphertext BLOB    NOT NULL,     -- sealed by the caller
    url            TEXT    NOT NULL,     -- '' until the CA confirmed it
    email          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (ca, directory_url)
) STRICT, WITHOUT ROWID;

-- HTTP-01 responses. Keyed by name, not by hostname: the edge looks them
-- up by the request's Host. DeleteHostname removes those of a name no
-- other hostname has.
CREATE TABLE acme_http_challenges (
    identifier TEXT    NOT NULL,
    token      TEXT    NOT NULL,
    key_auth   TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (identifier, token)
) STRICT, WITHOUT ROWID;

-- DNS-01 values under a hostname's DCV label. The foreign key removes them
-- with the hostname, so a deleted hostname's label answers nothing, and
-- makes adding a value under a label no hostname has fail.
CREATE TABLE dcv_values (
    label      TEXT    NOT NULL REFERENCES hostnames (ssl_dcv_label) ON DELETE CASCADE,
    value      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (label, value)
) STRICT, WITHOUT ROWID;

-- A hostname whose label changes (or is cleared) drops the values of the
-- old one first, so the foreign key never sees them orphaned: they were
-- answers for a name that no longer leads to this hostname.
CREATE TRIGGER dcv_values_relabel BEFORE UPDATE OF ssl_dcv_label ON hostnames
WHEN OLD.ssl_dcv_label IS NOT NEW.ssl_dcv_label
BEGIN
    DELETE FROM dcv_values WHERE label = OLD.ssl_dcv_label;
END;
