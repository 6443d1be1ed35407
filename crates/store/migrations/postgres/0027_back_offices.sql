-- The back offices connected to this portal: each one's configuration
-- (province, units it reports for, endpoint, push or pull) and the SHA-256
-- of the password it logs in with; every change to them, by whom; and the
-- sessions they log in to, kept by the SHA-256 of the session's token.
CREATE TABLE back_offices (
    id         TEXT NOT NULL PRIMARY KEY,
    body       TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_ns BIGINT NOT NULL,
    updated_ns BIGINT NOT NULL
);

CREATE TABLE back_office_changes (
    id     TEXT NOT NULL PRIMARY KEY,
    office TEXT NOT NULL,
    at_ns  BIGINT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE INDEX back_office_changes_office ON back_office_changes (office, at_ns);

CREATE TABLE back_office_sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,
    office     TEXT NOT NULL,
    expires_ns BIGINT NOT NULL
);

CREATE INDEX back_office_sessions_expiry ON back_office_sessions (expires_ns);
