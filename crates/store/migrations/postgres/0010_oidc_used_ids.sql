-- Ids that may be used once (RFC 9449 §11.1 DPoP proofs, RFC 7523 §3
-- client assertions), each under its own prefix, kept until the JWT
-- carrying it could no longer be accepted anyway.
CREATE TABLE oidc_used_ids (
    id         TEXT NOT NULL PRIMARY KEY,
    expires_ns BIGINT NOT NULL
);
CREATE INDEX oidc_used_ids_expires ON oidc_used_ids (expires_ns);
