-- Ownership verification: the check schedule of every hostname, and the
-- operator's blocklist.
--
-- The schedule lives in its own narrow table rather than in hostnames: a
-- check rewrites its row twice (claim, then result), and under MVCC every
-- rewrite copies the row; copying ~120 bytes instead of a hostname row of
-- several hundred keeps the write cost and the vacuum work small.
-- Fixed-width columns come first, so that alignment wastes no padding.
CREATE TABLE hostname_checks (
    hostname_id         text COLLATE "C" PRIMARY KEY REFERENCES hostnames (id) ON DELETE CASCADE,
    -- When the next check is due; NULL when the status is not checked
    -- (deleted, blocked). While a check is leased it holds the lease's end,
    -- so that the due index skips leased rows and a crashed worker's check
    -- becomes due again by itself.
    next_check_at       timestamptz,
    schedule_started_at timestamptz NOT NULL,   -- created or last refreshed
    last_check_at       timestamptz,
    pending_since       timestamptz,
    moved_since         timestamptz,
    proven_since        timestamptz,            -- start of the current run of successful proofs
    leased_until        timestamptz,
    -- Fencing token: bumped by every claim and every restart, so that a
    -- result from a superseded lease is refused.
    lease_token         bigint      NOT NULL DEFAULT 0,
    attempts            integer     NOT NULL DEFAULT 0, -- checks since schedule_started_at
    dns_status          text,                   -- valid | pending | invalid
    last_method         text,                   -- txt | cname | http, of the last proof
    lease_owner         text
);

-- The workers' one question, "what is due now?", reads this index from its
-- start. Unscheduled rows are not in it.
CREATE INDEX hostname_checks_due ON hostname_checks (next_check_at) WHERE next_check_at IS NOT NULL;

-- The same name in other zones (conflicts between tenants).
CREATE INDEX IF NOT EXISTS hostnames_name ON hostnames (name);

-- Every new hostname is scheduled, whatever statement inserts it: a
-- pending, active or moved one is due at once. Statement-level, like the
-- count triggers, so that a bulk insert is one INSERT ... SELECT.
CREATE FUNCTION hostname_checks_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO hostname_checks (hostname_id, next_check_at, schedule_started_at, pending_since, moved_since)
    SELECT id,
           CASE WHEN status IN ('pending', 'active', 'moved') THEN created_at END,
           created_at,
           CASE WHEN status = 'pending' THEN created_at END,
           CASE WHEN status = 'moved' THEN created_at END
    FROM new_rows;
    RETURN NULL;
END
$$;

CREATE TRIGGER hostname_checks_insert AFTER INSERT ON hostnames
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hostname_checks_insert();

-- A status change stamps when the hostname became pending or moved (the
-- 7-day clocks start there) and schedules a hostname that comes back to a
-- checked status. The writer sets updated_at to the change's time.
CREATE FUNCTION hostname_checks_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hostname_checks SET
        pending_since = CASE WHEN NEW.status = 'pending' THEN NEW.updated_at ELSE pending_since END,
        moved_since   = CASE WHEN NEW.status = 'moved' THEN NEW.updated_at ELSE moved_since END,
        next_check_at = CASE WHEN NEW.status IN ('pending', 'active', 'moved')
                             THEN coalesce(next_check_at, NEW.updated_at) ELSE next_check_at END
    WHERE hostname_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER hostname_checks_status AFTER UPDATE OF status ON hostnames
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION hostname_checks_status();

-- Hostnames that exist already are due at once; their 7-day clocks start at
-- their last update, not at their creation, so that an upgrade does not
-- move every old pending hostname in one sweep.
INSERT INTO hostname_checks (hostname_id, next_check_at, schedule_started_at, pending_since, moved_since)
SELECT id,
       CASE WHEN status IN ('pending', 'active', 'moved') THEN updated_at END,
       updated_at,
       CASE WHEN status = 'pending' THEN updated_at END,
       CASE WHEN status = 'moved' THEN updated_at END
FROM hostnames;

-- Names no zone may hold: the name and every name under it.
CREATE TABLE blocklist (
    name       text COLLATE "C" PRIMARY KEY,
    created_at timestamptz NOT NULL
);
