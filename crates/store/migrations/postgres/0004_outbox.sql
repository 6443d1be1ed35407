-- Asynchronous delivery of vital events: the transactional outbox, the
-- subscriptions made through the exchange, and consumer-side
-- de-duplication.

-- One row per vital event appended through `append_events`, written in the
-- same transaction as the event (the bulk load writes none). The publisher
-- moves pending rows onto the bus in `seq` order and then marks them
-- published. (A person's appends are serialised, so their rows' `seq`
-- follow their commit order.)
CREATE TABLE event_outbox (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     TEXT COLLATE "C" NOT NULL UNIQUE,
    person       TEXT COLLATE "C" NOT NULL,
    -- the event kind's code (`death`, `residence_change` …)
    kind         TEXT NOT NULL,
    -- the JSON of `registry::VitalEvent`
    body         TEXT NOT NULL,
    -- nanoseconds since 1970
    created_ns   BIGINT NOT NULL,
    published_ns BIGINT
);
CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE published_ns IS NULL;

-- A member's subscription to vital events (`events.subscribe`): at most one
-- per consumer and purpose; re-subscribing replaces it.
CREATE TABLE event_subscriptions (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    consumer    TEXT COLLATE "C" NOT NULL,
    purpose     TEXT COLLATE "C" NOT NULL,
    -- a JSON array of event kind codes
    kinds       TEXT NOT NULL,
    endpoint    TEXT NOT NULL,
    legal_basis TEXT,
    case_ref    TEXT NOT NULL,
    created_ns  BIGINT NOT NULL,
    UNIQUE (consumer, purpose)
);

-- The delivery ids a consumer has processed (`delivery::Deduplicator`).
CREATE TABLE delivery_seen (
    consumer    TEXT COLLATE "C" NOT NULL,
    delivery_id TEXT COLLATE "C" NOT NULL,
    seen_ns     BIGINT NOT NULL,
    PRIMARY KEY (consumer, delivery_id)
);
CREATE INDEX delivery_seen_time ON delivery_seen (consumer, seen_ns);
