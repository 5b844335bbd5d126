-- The SaaS Custom Domains dialect: upstreams (named origins of a zone), the
-- custom domain record of each hostname created through that dialect, and
-- the outbox of instruction emails, which is those records' unsent emails.

CREATE TABLE upstreams (
    id           text COLLATE "C" PRIMARY KEY,
    zone_id      text COLLATE "C" NOT NULL REFERENCES zones (id),
    host         text COLLATE "C" NOT NULL,
    port         integer     NOT NULL,
    tls          boolean     NOT NULL,
    prepend_path text COLLATE "C" NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    -- Kept by the custom_domains_count trigger below: the listed domains
    -- (companions are not listed), so that a list's total reads one row.
    domain_count bigint      NOT NULL DEFAULT 0
);

-- Two upstreams of one zone that would route alike are one too many. Also
-- the host filter of the list.
CREATE UNIQUE INDEX upstreams_zone_config ON upstreams (zone_id, host, port, tls, prepend_path);
-- The parent key of custom_domains' (zone_id, upstream_id) reference.
CREATE UNIQUE INDEX upstreams_zone_id ON upstreams (zone_id, id);
-- The list order.
CREATE INDEX upstreams_zone_created ON upstreams (zone_id, created_at, id);

-- One row per hostname created through the dialect, keyed by the hostname
-- and gone with it. The (zone_id, upstream_id) reference keeps a domain in
-- its upstream's zone, and refuses to delete an upstream that domains still
-- route to, whatever the race.
CREATE TABLE custom_domains (
    hostname_id      text COLLATE "C" PRIMARY KEY REFERENCES hostnames (id) ON DELETE CASCADE,
    zone_id          text COLLATE "C" NOT NULL,
    upstream_id      text COLLATE "C" NOT NULL,
    -- On a www companion: the domain that redirects to it. A companion
    -- whose domain is deleted (through the other dialect) becomes a domain
    -- of its own.
    apex_hostname_id text COLLATE "C" REFERENCES hostnames (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL, -- the hostname's, for the list order
    updated_at       timestamptz NOT NULL,
    redirect_to_www  boolean     NOT NULL,
    -- The instruction email. It is in the outbox while the recipient is
    -- set and sent_at is NULL; next_at is when it is due (while a sender
    -- holds it, the end of that lease), NULL once sent or given up.
    instructions_email_sent_at timestamptz,
    email_next_at              timestamptz,
    email_attempts             integer NOT NULL DEFAULT 0,
    instructions_recipient     text,
    email_last_error           text,
    FOREIGN KEY (zone_id, upstream_id) REFERENCES upstreams (zone_id, id)
);

-- An upstream's listed domains in list order (companions are not listed).
CREATE INDEX custom_domains_upstream ON custom_domains (zone_id, upstream_id, created_at, hostname_id)
    WHERE apex_hostname_id IS NULL;
CREATE INDEX custom_domains_apex ON custom_domains (apex_hostname_id) WHERE apex_hostname_id IS NOT NULL;
-- The senders' one question, "what is due now?".
CREATE INDEX custom_domains_outbox ON custom_domains (email_next_at) WHERE email_next_at IS NOT NULL;

-- The edge routes a hostname to its upstream: a changed upstream changes
-- the route of every hostname bound to it.
CREATE FUNCTION edge_changes_upstream() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status)
    SELECT 'hostname', h.zone_id, h.id, h.name, h.status
    FROM custom_domains d JOIN hostnames h ON h.id = d.hostname_id
    WHERE d.upstream_id = NEW.id;
    PERFORM pg_notify('portico_edge_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER edge_changes_upstream AFTER UPDATE OF host, port, tls, prepend_path ON upstreams
    FOR EACH ROW EXECUTE FUNCTION edge_changes_upstream();

-- Records are inserted with their hostname (whose own entry covers them);
-- a later change of what the edge reads from them is an entry of its own.
CREATE FUNCTION edge_changes_custom_domain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status)
    SELECT 'hostname', h.zone_id, h.id, h.name, h.status FROM hostnames h WHERE h.id = NEW.hostname_id;
    PERFORM pg_notify('portico_edge_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER edge_changes_custom_domain AFTER UPDATE OF upstream_id, redirect_to_www ON custom_domains
    FOR EACH ROW EXECUTE FUNCTION edge_changes_custom_domain();

-- Each upstream's count of listed domains follows every insert, delete
-- (cascades from hostnames included) and change of upstream or apex (a
-- companion whose apex is deleted becomes listed), in the same transaction.
CREATE FUNCTION custom_domains_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') AND OLD.apex_hostname_id IS NULL THEN
        UPDATE upstreams SET domain_count = domain_count - 1 WHERE id = OLD.upstream_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.apex_hostname_id IS NULL THEN
        UPDATE upstreams SET domain_count = domain_count + 1 WHERE id = NEW.upstream_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER custom_domains_count AFTER INSERT OR DELETE OR UPDATE OF upstream_id, apex_hostname_id ON custom_domains
    FOR EACH ROW EXECUTE FUNCTION custom_domains_count();
