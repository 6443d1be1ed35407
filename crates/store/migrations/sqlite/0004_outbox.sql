-- Asynchronous delivery of vital events: the transactional outbox, the
-- subscriptions made through the exchange, and consumer-side
-- de-duplication.

-- One row per vital event appended through `append_events`, written in the
-- same transaction as the event (the bulk load writes none). The publisher
-- moves pending rows onto the bus in `seq` order and then marks them
-- published.
CREATE TABLE event_outbox (
    seq          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT    NOT NULL UNIQUE,
    person       TEXT    NOT NULL,
    -- the event kind's code (`death`, `residence_change` …)
    kind         TEXT    NOT NULL,
    -- the JSON of `registry::VitalEvent`
    body         TEXT    NOT NULL,
    -- nanoseconds since 1970
    created_ns   INTEGER NOT NULL,
    published_ns INTEGER
) STRICT;
CREATE INDEX event_outbox_pending ON event_outbox (seq) WHERE published_ns IS NULL;

-- A member's subscription to vital events (`events.subscribe`): at most one
-- per consumer and purpose; re-subscribing replaces it.
CREATE TABLE event_subscriptions (
    id          TEXT    NOT NULL PRIMARY KEY,
    consumer    TEXT    NOT NULL,
    purpose     TEXT    NOT NULL,
    -- a JSON array of event kind codes
    kinds       TEXT    NOT NULL,
    endpoint    TEXT    NOT NULL,
    legal_basis TEXT,
    case_ref    TEXT    NOT NULL,
    created_ns  INTEGER NOT NULL,
    UNIQUE (consumer, purpose)
) STRICT;

-- The delivery ids a consumer has processed (`delivery::Deduplicator`).
CREATE TABLE delivery_seen (
    consumer    TEXT    NOT NULL,
    delivery_id TEXT    NOT NULL,
    seen_ns     INTEGER NOT NULL,
    PRIMARY KEY (consumer, delivery_id)
) STRICT;
CREATE INDEX delivery_seen_time ON delivery_seen (consumer, seen_ns);
