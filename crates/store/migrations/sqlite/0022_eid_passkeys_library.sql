-- Passkeys kept in the form of the WebAuthn library that checks them
-- (webauthn-rs: the key, the counter, the backup flags and the policy the
-- passkey was registered under; JSON). A passkey registered before keeps
-- its COSE public key (base64url) until its first log-in stores it in the
-- library's form. SQLite cannot drop NOT NULL from a column: the table is
-- made again.
CREATE TABLE eid_passkeys_next (
    credential_id TEXT NOT NULL PRIMARY KEY,
    subject       TEXT NOT NULL,
    credential    TEXT,
    public_key    TEXT,
    sign_count    BIGINT NOT NULL,
    created_ns    BIGINT NOT NULL,
    last_used_ns  BIGINT,
    CHECK (credential IS NOT NULL OR public_key IS NOT NULL)
);
INSERT INTO eid_passkeys_next
    (credential_id, subject, public_key, sign_count, created_ns, last_used_ns)
SELECT credential_id, subject, public_key, sign_count, created_ns, last_used_ns
FROM eid_passkeys;
DROP TABLE eid_passkeys;
ALTER TABLE eid_passkeys_next RENAME TO eid_passkeys;
CREATE INDEX eid_passkeys_subject ON eid_passkeys (subject);
