-- Refresh tokens (by the SHA-256 of the token; the token itself is never
-- stored), in families: each use rotates the token (the used one is
-- marked, a new one of the same family issued); a used token presented
-- again revokes its whole family (a stolen token was replayed).
CREATE TABLE oidc_refresh (
    token_hash TEXT NOT NULL PRIMARY KEY,
    family     TEXT NOT NULL,
    body       TEXT NOT NULL,
    expires_ns BIGINT NOT NULL,
    used_ns    BIGINT,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oidc_refresh_family ON oidc_refresh (family);
