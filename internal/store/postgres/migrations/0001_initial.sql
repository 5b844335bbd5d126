-- Portico's PostgreSQL schema.
--
-- Text that is sorted, indexed or range-scanned is COLLATE "C": byte-wise
-- comparison, as in the SQLite schema, so that both stores order alike and a
-- name-prefix filter can be an index range whatever the database's locale
-- (and "C" compares faster). Lists and nested values are compact JSON kept
-- as text, NULL when empty: they are never queried into, and text keeps the
-- client's custom_metadata byte for byte where jsonb would reorder it.

CREATE TABLE zones (
    id                  text COLLATE "C" PRIMARY KEY,
    name                text        NOT NULL,
    cname_target        text        NOT NULL,
    no_wildcards        boolean     NOT NULL,
    created_at          timestamptz NOT NULL,
    -- The fallback origin: all five NULL when the zone has none.
    fallback_origin     text,
    fallback_status     text,
    fallback_errors     text,
    fallback_created_at timestamptz,
    fallback_updated_at timestamptz,
    -- Kept by the hostnames_count triggers below, so the unfiltered list
    -- total and CountHostnames read one row instead of counting a million.
    hostname_count      bigint      NOT NULL DEFAULT 0
);

CREATE TABLE api_tokens (
    id          text COLLATE "C" PRIMARY KEY,
    zone_id     text COLLATE "C" NOT NULL REFERENCES zones (id),
    secret_hash bytea       NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE hostnames (
    id                     text COLLATE "C" PRIMARY KEY,
    zone_id                text COLLATE "C" NOT NULL REFERENCES zones (id),
    name                   text COLLATE "C" NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    version                bigint      NOT NULL,
    status                 text COLLATE "C" NOT NULL,
    verification_errors    text,
    ownership_token        text        NOT NULL,
    custom_origin_server   text        NOT NULL,
    custom_origin_sni      text        NOT NULL,
    custom_metadata        text,
    ssl_id                 text        NOT NULL,
    ssl_type               text        NOT NULL,
    ssl_method             text COLLATE "C" NOT NULL,
    ssl_status             text COLLATE "C" NOT NULL,
    ssl_wildcard           boolean     NOT NULL,
    ssl_ca                 text        NOT NULL,
    ssl_bundle_method      text        NOT NULL,
    ssl_settings           text,
    ssl_validation_records text,
    ssl_dcv_delegation     text,
    ssl_validation_errors  text
);

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
-- transaction, whichever statement makes it. Statement-level triggers with
-- transition tables update each zone once per statement, so a bulk insert
-- (COPY, a multi-row INSERT) does not queue a million updates of one row.
CREATE FUNCTION hostnames_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE zones z SET hostname_count = z.hostname_count + n.c
        FROM (SELECT zone_id, count(*) AS c FROM new_rows GROUP BY zone_id) n
        WHERE z.id = n.zone_id;
    ELSE
        UPDATE zones z SET hostname_count = z.hostname_count - o.c
        FROM (SELECT zone_id, count(*) AS c FROM old_rows GROUP BY zone_id) o
        WHERE z.id = o.zone_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER hostnames_count_insert AFTER INSERT ON hostnames
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hostnames_count();
CREATE TRIGGER hostnames_count_delete AFTER DELETE ON hostnames
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hostnames_count();

CREATE TABLE certificates (
    id                 text COLLATE "C" PRIMARY KEY,
    hostname_id        text COLLATE "C" NOT NULL REFERENCES hostnames (id) ON DELETE CASCADE,
    source             text        NOT NULL,
    chain_pem          bytea       NOT NULL,
    key_ciphertext     bytea       NOT NULL,
    issuer             text        NOT NULL,
    serial_number      text        NOT NULL,
    signature          text        NOT NULL,
    hosts              text,
    fingerprint_sha256 text        NOT NULL,
    bundle_method      text        NOT NULL,
    issued_on          timestamptz NOT NULL,
    expires_on         timestamptz NOT NULL,
    uploaded_on        timestamptz NOT NULL
);

CREATE INDEX certificates_hostname ON certificates (hostname_id);
