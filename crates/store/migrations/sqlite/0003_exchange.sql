-- The exchange layer: the hash-chained message log, its signed checkpoints
-- and the people's consents.

-- One row per `exchange::LogEntry`; the columns are the entry's fields.
CREATE TABLE exchange_log (
    seq             INTEGER NOT NULL PRIMARY KEY,
    -- the instant, in nanoseconds since 1970 (what the hash covers)
    at_ns           INTEGER NOT NULL,
    consumer        TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    service         TEXT    NOT NULL,
    purpose         TEXT    NOT NULL,
    legal_basis     TEXT,
    case_ref        TEXT,
    person_id       TEXT,
    -- a JSON array of field names
    fields          TEXT    NOT NULL,
    request_digest  TEXT    NOT NULL,
    response_digest TEXT    NOT NULL,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL
) STRICT;
-- the data tracker: every access to one person's data, by time
CREATE INDEX exchange_log_person ON exchange_log (person_id, at_ns) WHERE person_id IS NOT NULL;

CREATE TABLE exchange_checkpoints (
    seq       INTEGER NOT NULL PRIMARY KEY,
    hash      TEXT    NOT NULL,
    key_id    TEXT    NOT NULL,
    signature TEXT    NOT NULL
) STRICT;

-- Consents given by a person to a consumer for a purpose; a withdrawal
-- closes the open row, so the history stays.
CREATE TABLE consents (
    id           INTEGER NOT NULL PRIMARY KEY,
    person_id    TEXT    NOT NULL,
    consumer     TEXT    NOT NULL,
    purpose      TEXT    NOT NULL,
    given_ns     INTEGER NOT NULL,
    withdrawn_ns INTEGER
) STRICT;
CREATE INDEX consents_person ON consents (person_id, consumer, purpose);
-- at most one open consent per (person, consumer, purpose)
CREATE UNIQUE INDEX consents_open ON consents (person_id, consumer, purpose)
    WHERE withdrawn_ns IS NULL;
