-- Managed certificates: the ACME write-ahead records, the ACME accounts,
-- the HTTP-01 responses every edge answers, and the DNS-01 values the DCV
-- zone serves (store.Issuances).

-- The hostname's label in the DCV delegation zone (core.SSL.DCVLabel),
-- NULL when it has none. A full unique index, not a partial one: NULLs are
-- distinct in it, so only real labels must be unique, and a foreign key
-- (dcv_values) may reference only a full one. A label lookup (the DNS
-- server's one question) is one probe of it. Adding a NULL column rewrites
-- nothing.
ALTER TABLE hostnames ADD COLUMN ssl_dcv_label text COLLATE "C";
CREATE UNIQUE INDEX hostnames_dcv_label ON hostnames (ssl_dcv_label);

-- One row per acme.Issuance. Lists and nested values are compact JSON
-- text (package columns), NULL when empty. The lease columns are
-- bookkeeping beside the record: claiming and releasing never change
-- version. Fixed-width columns first, so that alignment wastes no padding.
CREATE TABLE acme_issuances (
    id                 text COLLATE "C" PRIMARY KEY,
    next_attempt_at    timestamptz NOT NULL,
    deadline           timestamptz,          -- NULL: none
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    leased_until       timestamptz,
    version            bigint      NOT NULL,
    attempts           integer     NOT NULL,
    retries            integer     NOT NULL,
    http_ready         boolean     NOT NULL,
    http_failed        boolean     NOT NULL,
    zone_id            text COLLATE "C" NOT NULL,
    -- A record never outlives its hostname.
    hostname_id        text COLLATE "C" NOT NULL REFERENCES hostnames (id) ON DELETE CASCADE,
    step               text COLLATE "C" NOT NULL,
    identifiers        text,
    method             text        NOT NULL,
    dcv_label          text        NOT NULL,
    ca                 text        NOT NULL,
    replaces           text        NOT NULL,
    account_url        text        NOT NULL,
    order_url          text        NOT NULL,
    finalize_url       text        NOT NULL,
    cert_url           text        NOT NULL,
    authzs             text,
    key_ciphertext     bytea,                -- sealed by the caller
    result             text,                 -- NULL before step downloaded
    last_error         text        NOT NULL,
    validation_errors  text,
    validation_records text,
    lease_owner        text
);

-- At most one live (not done, not failed) record per hostname: racing
-- creators meet here and all but one get a conflict.
CREATE UNIQUE INDEX acme_issuances_live ON acme_issuances (hostname_id)
    WHERE step NOT IN ('done', 'failed');
-- "What is due now?": live records by next_attempt_at. Terminal records,
-- the bulk of the table in the long run, are not in it.
CREATE INDEX acme_issuances_due ON acme_issuances (next_attempt_at, id)
    WHERE step NOT IN ('done', 'failed');
-- A hostname's records, newest first; also the cascade's lookup.
CREATE INDEX acme_issuances_hostname ON acme_issuances (hostname_id, created_at, id);

-- One account per CA directory.
CREATE TABLE acme_accounts (
    ca             text COLLATE "C" NOT NULL,
    directory_url  text COLLATE "C" NOT NULL,
    created_at     timestamptz NOT NULL,
    key_ciphertext bytea       NOT NULL,  -- sealed by the caller
    url            text        NOT NULL,  -- '' until the CA confirmed it
    email          text        NOT NULL,
    PRIMARY KEY (ca, directory_url)
);

-- HTTP-01 responses. Keyed by name, not by hostname: the edge looks them
-- up by the request's Host. DeleteHostname removes those of a name no
-- other hostname has.
CREATE TABLE acme_http_challenges (
    identifier text COLLATE "C" NOT NULL,
    token      text COLLATE "C" NOT NULL,
    expires_at timestamptz NOT NULL,
    key_auth   text        NOT NULL,
    PRIMARY KEY (identifier, token)
);

-- DNS-01 values under a hostname's DCV label. The foreign key removes them
-- with the hostname, so a deleted hostname's label answers nothing, and
-- makes adding a value under a label no hostname has fail.
CREATE TABLE dcv_values (
    label      text COLLATE "C" NOT NULL REFERENCES hostnames (ssl_dcv_label) ON DELETE CASCADE,
    value      text COLLATE "C" NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (label, value)
);

-- A hostname whose label changes (or is cleared) drops the values of the
-- old one first, so the foreign key never sees them orphaned: they were
-- answers for a name that no longer leads to this hostname. BEFORE, so
-- that the rows are gone when the key is checked.
CREATE FUNCTION dcv_values_relabel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM dcv_values WHERE label = OLD.ssl_dcv_label;
    RETURN NEW;
END
$$;

CREATE TRIGGER dcv_values_relabel BEFORE UPDATE OF ssl_dcv_label ON hostnames
    FOR EACH ROW WHEN (OLD.ssl_dcv_label IS DISTINCT FROM NEW.ssl_dcv_label)
    EXECUTE FUNCTION dcv_values_relabel();
