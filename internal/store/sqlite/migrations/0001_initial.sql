-- Portico's SQLite schema.
--
-- Times are INTEGER unix microseconds: at most 8 bytes, where ISO text would
-- take 27, and they compare as numbers. Lists and nested values are compact
-- JSON text, NULL when empty. Text compares byte-wise (BINARY), as the
-- PostgreSQL schema's COLLATE "C" columns do, so both stores order alike.
-- STRICT makes SQLite refuse a value of the wrong type instead of storing it.

CREATE TABLE zones (
    id                  TEXT    NOT NULL PRIMARY KEY,
    name                TEXT    NOT NULL,
    cname_target        TEXT    NOT NULL,
    no_wildcards        INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    -- The fallback origin: all five NULL when the zone has none.
    fallback_origin     TEXT,
    fallback_status     TEXT,
    fallback_errors     TEXT,
    fallback_created_at INTEGER,
    fallback_updated_at INTEGER,
    -- Kept by the hostnames_count triggers below, so the unfiltered list
    -- total and CountHostnames read one row instead of counting a million.
    hostname_count      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE api_tokens (
    id          TEXT    NOT NULL PRIMARY KEY,
    zone_id     TEXT    NOT NULL REFERENCES zones (id),
    secret_hash BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- hostnames keeps SQLite's implicit integer rowid as its storage key: every
-- secondary index then points at a rowid of 3-4 bytes instead of repeating
-- the 36-byte id, and rows of several hundred bytes are what rowid tables are
-- for (WITHOUT ROWID suits small rows).
CREATE TABLE hostnames (
    id                     TEXT    NOT NULL UNIQUE,
    zone_id                TEXT    NOT NULL REFERENCES zones (id),
    name                   TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    verification_errors    TEXT,
    ownership_token        TEXT    NOT NULL,
    custom_origin_server   TEXT    NOT NULL,
    custom_origin_sni      TEXT    NOT NULL,
    custom_metadata        TEXT,
    ssl_id                 TEXT    NOT NULL,
    ssl_type               TEXT    NOT NULL,
    ssl_method             TEXT    NOT NULL,
    ssl_status             TEXT    NOT NULL,
    ssl_wildcard           INTEGER NOT NULL,
    ssl_ca                 TEXT    NOT NULL,
    ssl_bundle_method      TEXT    NOT NULL,
    ssl_settings           TEXT,
    ssl_validation_records TEXT,
    ssl_dcv_delegation     TEXT,
    ssl_validation_errors  TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    version                INTEGER NOT NULL
) STRICT;

-- One name per zone (the same name in two zones is allowed: verification
-- decides which tenant gets it). Also serves exact-name and prefix filters
-- and the hostname order.
CREATE UNIQUE INDEX hostnames_zone_name ON hostnames (zone_id, name);
-- The default order, and the order every filtered query falls back to.
CREATE INDEX hostnames_zone_created ON hostnames (zone_id, created_at, id);
-- Status filters and the ssl_status order, already in page order. The DCV
-- method order (OrderSSL) has no index: three values, rarely asked for; it
-- sorts the zone's rows.
CREATE INDEX hostnames_zone_status ON hostnames (zone_id, status, created_at, id);
CREATE INDEX hostnames_zone_ssl_status ON hostnames (zone_id, ssl_status, created_at, id);

-- The zone's hostname count follows every insert and delete, in the same
-- transaction, whichever statement makes it: a trigger cannot be forgotten
-- by a new code path.
CREATE TRIGGER hostnames_count_insert AFTER INSERT ON hostnames
BEGIN
    UPDATE zones SET hostname_count = hostname_count + 1 WHERE id = NEW.zone_id;
END;

CREATE TRIGGER hostnames_count_delete AFTER DELETE ON hostnames
BEGIN
    UPDATE zones SET hostname_count = hostname_count - 1 WHERE id = OLD.zone_id;
END;

CREATE TABLE certificates (
    id                 TEXT    NOT NULL PRIMARY KEY,
    hostname_id        TEXT    NOT NULL REFERENCES hostnames (id) ON DELETE CASCADE,
    source             TEXT    NOT NULL,
    chain_pem          BLOB    NOT NULL,
    key_ciphertext     BLOB    NOT NULL,
    issuer             TEXT    NOT NULL,
    serial_number      TEXT    NOT NULL,
    signature          TEXT    NOT NULL,
    hosts              TEXT,
    fingerprint_sha256 TEXT    NOT NULL,
    bundle_method      TEXT    NOT NULL,
    issued_on          INTEGER NOT NULL,
    expires_on         INTEGER NOT NULL,
    uploaded_on        INTEGER NOT NULL
) STRICT;

CREATE INDEX certificates_hostname ON certificates (hostname_id);
