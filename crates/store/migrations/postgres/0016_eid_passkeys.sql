-- Passkeys (WebAuthn credentials), by credential id (base64url): the
-- holder, the COSE public key (base64url) and the signature counter.
CREATE TABLE eid_passkeys (
    credential_id TEXT NOT NULL PRIMARY KEY,
    subject       TEXT NOT NULL,
    public_key    TEXT NOT NULL,
    sign_count    BIGINT NOT NULL,
    created_ns    BIGINT NOT NULL,
    last_used_ns  BIGINT
);
CREATE INDEX eid_passkeys_subject ON eid_passkeys (subject);

-- WebAuthn challenges, each answered once before it expires.
CREATE TABLE eid_challenges (
    id         TEXT NOT NULL PRIMARY KEY,
    kind       TEXT NOT NULL,
    subject    TEXT,
    challenge  TEXT NOT NULL,
    expires_ns BIGINT NOT NULL
);
