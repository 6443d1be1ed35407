-- Passkeys kept in the form of the WebAuthn library that checks them
-- (webauthn-rs: the key, the counter, the backup flags and the policy the
-- passkey was registered under; JSON). A passkey registered before keeps
-- its COSE public key (base64url) until its first log-in stores it in the
-- library's form.
ALTER TABLE eid_passkeys ADD COLUMN credential TEXT;
ALTER TABLE eid_passkeys ALTER COLUMN public_key DROP NOT NULL;
ALTER TABLE eid_passkeys ADD CONSTRAINT eid_passkeys_a_key
    CHECK (credential IS NOT NULL OR public_key IS NOT NULL);
