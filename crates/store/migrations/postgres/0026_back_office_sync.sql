-- Dossiers synchronised from the provinces' back offices, as the national
-- portal knows them (the version applied, the place in the lifecycle, the
-- last packet), and every message received about them, once by its key,
-- with what was done with it (applied, duplicate, stale, waiting,
-- quarantined) and, for a quarantined one, why and when it was resolved.
CREATE TABLE sync_dossiers (
    code       TEXT NOT NULL PRIMARY KEY,
    unit       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    body       TEXT NOT NULL,
    updated_ns BIGINT NOT NULL
);

CREATE TABLE sync_messages (
    id          TEXT NOT NULL PRIMARY KEY,
    message_key TEXT NOT NULL UNIQUE,
    code        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    received_ns BIGINT NOT NULL,
    verdict     TEXT NOT NULL,
    reason      TEXT,
    body        TEXT NOT NULL,
    resolved_ns BIGINT
);

CREATE INDEX sync_messages_code ON sync_messages (code, received_ns);
CREATE INDEX sync_messages_open ON sync_messages (unit, verdict, resolved_ns);
