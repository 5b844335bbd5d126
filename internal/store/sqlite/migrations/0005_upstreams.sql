-- The SaaS Custom Domains dialect: upstreams (named origins of a zone), the
-- custom domain record of each hostname created through that dialect, and
-- the outbox of instruction emails, which is those records' unsent emails.

CREATE TABLE upstreams (
    id           TEXT    NOT NULL PRIMARY KEY,
    zone_id      TEXT    NOT NULL REFERENCES zones (id),
    host         TEXT    NOT NULL,
    port         INTEGER NOT NULL,
    tls          INTEGER NOT NULL,
    prepend_path TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    -- Kept by the custom_domains_count triggers below: the listed domains
    -- (companions are not listed), so that a list's total reads one row.
    domain_count INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- Two upstreams of one zone that would route alike are one too many. Also
-- the parent key of custom_domains' (zone_id, upstream_id) reference, and
-- the host filter of the list.
CREATE UNIQUE INDEX upstreams_zone_config ON upstreams (zone_id, host, port, tls, prepend_path);
CREATE UNIQUE INDEX upstreams_zone_id ON upstreams (zone_id, id);
-- The list order.
CREATE INDEX upstreams_zone_created ON upstreams (zone_id, created_at, id);

-- One row per hostname created through the dialect, keyed by the hostname
-- and gone with it. The (zone_id, upstream_id) reference keeps a domain in
-- its upstream's zone, and refuses to delete an upstream that domains still
-- route to, whatever the race.
CREATE TABLE custom_domains (
    hostname_id      TEXT    NOT NULL PRIMARY KEY REFERENCES hostnames (id) ON DELETE CASCADE,
    zone_id          TEXT    NOT NULL,
    upstream_id      TEXT    NOT NULL,
    redirect_to_www  INTEGER NOT NULL,
    -- On a www companion: the domain that redirects to it. A companion
    -- whose domain is deleted (through the other dialect) becomes a domain
    -- of its own.
    apex_hostname_id TEXT    REFERENCES hostnames (id) ON DELETE SET NULL,
    created_at       INTEGER NOT NULL, -- the hostname's, for the list order
    updated_at       INTEGER NOT NULL,
    -- The instruction email. It is in the outbox while the recipient is
    -- set and sent_at is NULL; next_at is when it is due (while a sender
    -- holds it, the end of that lease), NULL once sent or given up.
    instructions_recipient     TEXT,
    instructions_email_sent_at INTEGER,
    email_attempts             INTEGER NOT NULL DEFAULT 0,
    email_next_at              INTEGER,
    email_last_error           TEXT,
    FOREIGN KEY (zone_id, upstream_id) REFERENCES upstreams (zone_id, id)
) STRICT, WITHOUT ROWID;

-- An upstream's listed domains in list order (companions are not listed).
-- apex_hostname_id, NULL in every entry, is there so that SQLite can check
-- the list's "IS NULL" from the index instead of reading each row.
CREATE INDEX custom_domains_upstream ON custom_domains (zone_id, upstream_id, created_at, hostname_id, apex_hostname_id)
    WHERE apex_hostname_id IS NULL;
CREATE INDEX custom_domains_apex ON custom_domains (apex_hostname_id) WHERE apex_hostname_id IS NOT NULL;
-- The senders' one question, "what is due now?".
CREATE INDEX custom_domains_outbox ON custom_domains (email_next_at) WHERE email_next_at IS NOT NULL;

-- The edge routes a hostname to its upstream: a changed upstream changes
-- the route of every hostname bound to it.
CREATE TRIGGER edge_changes_upstream AFTER UPDATE OF host, port, tls, prepend_path ON upstreams
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    SELECT 'hostname', h.zone_id, h.id, h.name, h.status, CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    FROM custom_domains d JOIN hostnames h ON h.id = d.hostname_id
    WHERE d.upstream_id = NEW.id;
END;

-- Records are inserted with their hostname (whose own entry covers them);
-- a later change of what the edge reads from them is an entry of its own.
CREATE TRIGGER edge_changes_custom_domain AFTER UPDATE OF upstream_id, redirect_to_www ON custom_domains
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    SELECT 'hostname', h.zone_id, h.id, h.name, h.status, CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    FROM hostnames h WHERE h.id = NEW.hostname_id;
END;

-- Each upstream's count of listed domains follows every insert, delete
-- (cascades from hostnames included) and change of upstream or apex (a
-- companion whose apex is deleted becomes listed), in the same transaction.
CREATE TRIGGER custom_domains_count_insert AFTER INSERT ON custom_domains WHEN NEW.apex_hostname_id IS NULL
BEGIN
    UPDATE upstreams SET domain_count = domain_count + 1 WHERE id = NEW.upstream_id;
END;

CREATE TRIGGER custom_domains_count_delete AFTER DELETE ON custom_domains WHEN OLD.apex_hostname_id IS NULL
BEGIN
    UPDATE upstreams SET domain_count = domain_count - 1 WHERE id = OLD.upstream_id;
END;

CREATE TRIGGER custom_domains_count_update AFTER UPDATE OF upstream_id, apex_hostname_id ON custom_domains
BEGIN
    UPDATE upstreams SET domain_count = domain_count - 1 WHERE id = OLD.upstream_id AND OLD.apex_hostname_id IS NULL;
    UPDATE upstreams SET domain_count = domain_count + 1 WHERE id = NEW.upstream_id AND NEW.apex_hostname_id IS NULL;
END;
