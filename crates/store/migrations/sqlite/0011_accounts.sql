-- eID accounts: one row per holder (citizen, foreigner, organisation),
-- found by the canonical key of the identifier typed at log-in. The
-- holder's record is JSON checked when read back; the password is an
-- argon2id PHC string; the TOTP secret's last accepted step guards against
-- a code being used twice. Failures in a row lock the account for a while.
CREATE TABLE eid_accounts (
    subject         TEXT NOT NULL PRIMARY KEY,
    login_key       TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    level           INTEGER,
    holder          TEXT NOT NULL,
    password        TEXT,
    totp            TEXT,
    totp_step       BIGINT,
    failures        INTEGER NOT NULL DEFAULT 0,
    locked_until_ns BIGINT,
    created_ns      BIGINT NOT NULL
);

-- What happened to an account, for its holder to read: log-ins, failures,
-- lock-outs, factor changes. Appended only.
CREATE TABLE eid_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    at_ns   BIGINT NOT NULL,
    event   TEXT NOT NULL,
    client  TEXT,
    detail  TEXT NOT NULL
);
CREATE INDEX eid_audit_subject ON eid_audit (subject, at_ns);

-- Log-in sessions at the provider (by the SHA-256 of the cookie's value).
CREATE TABLE eid_sessions (
    id_hash    TEXT NOT NULL PRIMARY KEY,
    subject    TEXT NOT NULL,
    level      INTEGER NOT NULL,
    auth_ns    BIGINT NOT NULL,
    amr        TEXT NOT NULL,
    expires_ns BIGINT NOT NULL
);
CREATE INDEX eid_sessions_subject ON eid_sessions (subject);
-- ended sessions are forgotten at each new log-in
CREATE INDEX eid_sessions_expires ON eid_sessions (expires_ns);
