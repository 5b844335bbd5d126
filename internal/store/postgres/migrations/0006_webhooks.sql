-- Webhooks: the zones' endpoints and the outbox of their deliveries.
--
-- A delivery row is written for each endpoint an event concerns, right
-- after the change the event reports; workers on every node claim due rows
-- with a lease (as hostname_checks does) and record each attempt on the
-- row, which is also the delivery log.
CREATE TABLE webhook_endpoints (
    id            text COLLATE "C" PRIMARY KEY,
    zone_id       text COLLATE "C" NOT NULL REFERENCES zones (id),
    created_at    timestamptz NOT NULL,
    url           text        NOT NULL,
    events        text,                   -- JSON list of types; NULL: every type
    description   text        NOT NULL,
    secret_sealed bytea       NOT NULL    -- sealed with the master key, bound to id
);

CREATE INDEX webhook_endpoints_zone ON webhook_endpoints (zone_id, created_at);

-- Fixed-width columns first, so that alignment wastes no padding.
CREATE TABLE webhook_deliveries (
    id                 text COLLATE "C" PRIMARY KEY,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- When the next attempt is due; NULL once the delivery is done. While
    -- leased it holds the lease's end, so that a crashed worker's delivery
    -- becomes due again by itself.
    next_attempt_at    timestamptz,
    last_attempt_at    timestamptz,
    leased_until       timestamptz,
    -- Fencing token: bumped by every claim, so that a result from a
    -- superseded lease is refused.
    lease_token        bigint      NOT NULL DEFAULT 0,
    attempts           integer     NOT NULL DEFAULT 0,
    last_response_code integer,
    zone_id            text COLLATE "C" NOT NULL,
    endpoint_id        text COLLATE "C" NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id           text        NOT NULL,
    event_type         text        NOT NULL,
    status             text        NOT NULL,  -- pending | succeeded | failed
    last_error         text,
    replay_of          text,
    lease_owner        text,
    payload            bytea       NOT NULL   -- the JSON body, exactly as signed
);

-- The workers' question, "what is due now?"; finished rows are not in it.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
-- An endpoint's delivery log, newest first; also serves the cascade.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
-- Pruning of finished deliveries.
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (updated_at) WHERE next_attempt_at IS NULL;
