-- The edge's view of the database: an index of the names it serves, and a
-- change feed, with a NOTIFY, that tells every edge node what to reload.
--
-- The feed is written by triggers, in the transaction of the write, so that
-- no writer can forget it. seq comes from a sequence when the trigger runs,
-- which is not commit order: a transaction that took seq 5 may commit after
-- one that took seq 6. So each entry also records its transaction id
-- (xid8, never wraps), and readers take entries in (txid, seq) order and
-- only from transactions older than the oldest one still running
-- (pg_snapshot_xmin): no entry can then appear behind a reader's cursor.
-- Needs PostgreSQL 13 or later.

CREATE TABLE edge_changes (
    seq         bigserial PRIMARY KEY,
    txid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    kind        text        NOT NULL, -- hostname | certificate | zone
    zone_id     text COLLATE "C" NOT NULL,
    hostname_id text COLLATE "C",     -- NULL for zone changes
    name        text COLLATE "C",     -- NULL for zone changes
    status      text,                 -- the hostname's status after the change; NULL when deleted
    at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX edge_changes_feed ON edge_changes (txid, seq);

-- Names the edge serves, for its start-up scan (an index-only scan of the
-- serving rows), and a hostname by name in any zone (the lazy load; the
-- verification migration creates the same index).
CREATE INDEX hostnames_edge_names ON hostnames (name) WHERE status IN ('active', 'active_redeploying');
CREATE INDEX IF NOT EXISTS hostnames_name ON hostnames (name);

-- Retention: every 1,000th entry deletes, from the oldest 2,000, those older
-- than a day (store.EdgeChangeRetention): reading only the head of the
-- primary key keeps it cheap however long the feed is.
CREATE FUNCTION edge_changes_prune() RETURNS void LANGUAGE sql AS $$
    DELETE FROM edge_changes
    WHERE seq IN (SELECT seq FROM edge_changes ORDER BY seq LIMIT 2000)
      AND at < now() - interval '1 day';
$$;

-- Inserts and deletes of hostnames are statement-level with transition
-- tables, so a bulk import writes its entries in one statement.
CREATE FUNCTION edge_changes_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status)
    SELECT 'hostname', zone_id, id, name, status FROM new_rows;
    PERFORM pg_notify('portico_edge_changes', '');
    RETURN NULL;
END
$$;

CREATE FUNCTION edge_changes_delete_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status)
    SELECT 'hostname', zone_id, id, name, NULL FROM old_rows;
    PERFORM pg_notify('portico_edge_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER edge_changes_hostname_insert AFTER INSERT ON hostnames
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION edge_changes_insert_rows();
CREATE TRIGGER edge_changes_hostname_delete AFTER DELETE ON hostnames
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION edge_changes_delete_rows();

-- Updates are row-level: PostgreSQL allows no transition tables on a
-- trigger with a column list, and the column list matters more (only the
-- columns the edge serves from; every store write bumps version, so writes
-- through other code paths are caught too).
CREATE FUNCTION edge_changes_hostname_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status)
    VALUES ('hostname', NEW.zone_id, NEW.id, NEW.name, NEW.status);
    PERFORM pg_notify('portico_edge_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER edge_changes_hostname_update
    AFTER UPDATE OF status, custom_origin_server, custom_origin_sni, custom_metadata, ssl_settings, ownership_token, version
    ON hostnames FOR EACH ROW EXECUTE FUNCTION edge_changes_hostname_update();

-- Certificate writes through the store also bump the hostname's version;
-- this catches any that do not. A certificate deleted with its hostname
-- (cascade) finds no hostname row and adds nothing.
CREATE FUNCTION edge_changes_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hid text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        hid := OLD.hostname_id;
    ELSE
        hid := NEW.hostname_id;
    END IF;
    INSERT INTO edge_changes (kind, zone_id, hostname_id, name, status)
    SELECT 'certificate', zone_id, id, name, status FROM hostnames WHERE id = hid;
    PERFORM pg_notify('portico_edge_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER edge_changes_certificate AFTER INSERT OR UPDATE OR DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION edge_changes_certificate();

-- Only the fallback columns: hostname_count changes on every insert and
-- must not make every edge reload the zone.
CREATE FUNCTION edge_changes_zone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO edge_changes (kind, zone_id) VALUES ('zone', NEW.id);
    PERFORM pg_notify('portico_edge_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER edge_changes_zone AFTER UPDATE OF fallback_origin, fallback_status ON zones
    FOR EACH ROW EXECUTE FUNCTION edge_changes_zone();

-- Pruning runs after each statement that added entries, when the sequence
-- crossed a multiple of 1,000.
CREATE FUNCTION edge_changes_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows WHERE seq % 1000 = 0) THEN
        PERFORM edge_changes_prune();
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER edge_changes_prune AFTER INSERT ON edge_changes
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION edge_changes_after_insert();
