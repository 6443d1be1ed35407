-- Authorization codes waiting to be redeemed (the JSON of
-- `identity::authz::CodeGrant`), by the SHA-256 of the code: the code
-- itself is never stored. Taken out (deleted) when redeemed, so a code
-- works once.
CREATE TABLE oidc_codes (
    code_hash  TEXT NOT NULL PRIMARY KEY,
    body       TEXT NOT NULL,
    expires_ns BIGINT NOT NULL
);
CREATE INDEX oidc_codes_expires ON oidc_codes (expires_ns);
