-- Webhooks: the zones' endpoints and the outbox of their deliveries.
--
-- A delivery row is written for each endpoint an event concerns, right
-- after the change the event reports; workers on every node claim due rows
-- with a lease (as hostname_checks does) and record each attempt on the
-- row, which is also the delivery log. Times are unix microseconds, NULL
-- when unset.
CREATE TABLE webhook_endpoints (
    id            TEXT    NOT NULL PRIMARY KEY,
    zone_id       TEXT    NOT NULL REFERENCES zones (id),
    url           TEXT    NOT NULL,
    events        TEXT,                       -- JSON list of types; NULL: every type
    description   TEXT    NOT NULL,
    secret_sealed BLOB    NOT NULL,           -- sealed with the master key, bound to id
    created_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX webhook_endpoints_zone ON webhook_endpoints (zone_id, created_at);

-- Deliveries keep a rowid: the payload makes rows of several hundred bytes,
-- and the secondary indexes then point at a small rowid, not the 36-byte id.
CREATE TABLE webhook_deliveries (
    id                 TEXT    NOT NULL UNIQUE,
    zone_id            TEXT    NOT NULL,
    endpoint_id        TEXT    NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id           TEXT    NOT NULL,
    event_type         TEXT    NOT NULL,
    payload            BLOB    NOT NULL,      -- the JSON body, exactly as signed
    status             TEXT    NOT NULL,      -- pending | succeeded | failed
    attempts           INTEGER NOT NULL DEFAULT 0,
    -- When the next attempt is due; NULL once the delivery is done. While
    -- leased it holds the lease's end, so that a crashed worker's delivery
    -- becomes due again by itself.
    next_attempt_at    INTEGER,
    last_attempt_at    INTEGER,
    last_response_code INTEGER,
    last_error         TEXT,
    replay_of          TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    leased_until       INTEGER,
    lease_owner        TEXT,
    -- Fencing token: bumped by every claim, so that a result from a
    -- superseded lease is refused.
    lease_token        INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The workers' question, "what is due now?"; finished rows are not in it.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
-- An endpoint's delivery log, newest first; also serves the cascade.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
-- Pruning of finished deliveries.
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (updated_at) WHERE next_attempt_at IS NULL;
