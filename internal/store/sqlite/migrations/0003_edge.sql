-- The edge's view of the database: an index of the names it serves, and a
-- change feed that tells every edge what to reload.
--
-- The feed is written by triggers, in the transaction of the write, so that
-- no writer (the API, verification, ACME, an operator's SQL) can forget it.
-- SQLite admits one writer at a time, so seq (AUTOINCREMENT, never reused,
-- rolled back with its transaction) is also commit order: a reader that
-- remembers the last seq it applied misses nothing.

CREATE TABLE edge_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL, -- hostname | certificate | zone
    zone_id     TEXT    NOT NULL,
    hostname_id TEXT,             -- NULL for zone changes
    name        TEXT,             -- the hostname's name; NULL for zone changes
    status      TEXT,             -- the hostname's status after the change; NULL when deleted
    at          INTEGER NOT NULL  -- unix microseconds, for pruning
) STRICT;

-- Names the edge serves, for its start-up scan: only the serving rows are in
-- this index, so the scan reads nothing else.
CREATE INDEX hostnames_edge_names ON hostnames (name) WHERE status IN ('active', 'active_redeploying');
-- A hostname by name, in any zone (the edge's lazy load). The verification
-- migration creates the same index; IF NOT EXISTS keeps both orders working.
CREATE INDEX IF NOT EXISTS hostnames_name ON hostnames (name);

CREATE TRIGGER edge_changes_hostname_insert AFTER INSERT ON hostnames
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    VALUES ('hostname', NEW.zone_id, NEW.id, NEW.name, NEW.status, CAST(unixepoch('subsec') * 1000000 AS INTEGER));
END;

-- Only the columns the edge serves from. Every store write bumps version,
-- so this also catches writes through code paths that touch other columns;
-- the verification schedule, in its own table, does not churn the feed.
CREATE TRIGGER edge_changes_hostname_update
AFTER UPDATE OF status, custom_origin_server, custom_origin_sni, custom_metadata, ssl_settings, ownership_token, version ON hostnames
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    VALUES ('hostname', NEW.zone_id, NEW.id, NEW.name, NEW.status, CAST(unixepoch('subsec') * 1000000 AS INTEGER));
END;

CREATE TRIGGER edge_changes_hostname_delete AFTER DELETE ON hostnames
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    VALUES ('hostname', OLD.zone_id, OLD.id, OLD.name, NULL, CAST(unixepoch('subsec') * 1000000 AS INTEGER));
END;

-- Certificate writes through the store also bump the hostname's version;
-- these catch any that do not. A certificate deleted with its hostname
-- (cascade) finds no hostname row and adds nothing: the hostname's own
-- delete entry covers it.
CREATE TRIGGER edge_changes_certificate_insert AFTER INSERT ON certificates
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    SELECT 'certificate', zone_id, id, name, status, CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    FROM hostnames WHERE id = NEW.hostname_id;
END;

CREATE TRIGGER edge_changes_certificate_update AFTER UPDATE ON certificates
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    SELECT 'certificate', zone_id, id, name, status, CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    FROM hostnames WHERE id = NEW.hostname_id;
END;

CREATE TRIGGER edge_changes_certificate_delete AFTER DELETE ON certificates
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    SELECT 'certificate', zone_id, id, name, status, CAST(unixepoch('subsec') * 1000000 AS INTEGER)
    FROM hostnames WHERE id = OLD.hostname_id;
END;

-- Only the fallback columns: hostname_count changes on every insert and
-- must not make every edge reload the zone.
CREATE TRIGGER edge_changes_zone AFTER UPDATE OF fallback_origin, fallback_status ON zones
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status, at)
    VALUES ('zone', NEW.id, NULL, NULL, NULL, CAST(unixepoch('subsec') * 1000000 AS INTEGER));
END;

-- Retention: every 1,000th entry deletes, from the oldest 2,000, those older
-- than a day (store.EdgeChangeRetention). Reading only the head of the
-- primary key keeps this O(1) however long the feed is; deleting up to
-- twice what was added keeps up with any insert rate.
CREATE TRIGGER edge_changes_prune AFTER INSERT ON edge_changes WHEN NEW.seq % 1000 = 0
BEGIN
    DELETE FROM edge_changes
    WHERE seq IN (SELECT seq FROM edge_changes ORDER BY seq LIMIT 2000)
      AND at < NEW.at - 86400000000;
END;
