-- Pushed authorization requests (RFC 9126): the request a client sent
-- over its authenticated back channel, by the SHA-256 of the request_uri
-- handed back, until it expires or gives a code.
CREATE TABLE oidc_par (
    uri_hash   TEXT NOT NULL PRIMARY KEY,
    client_id  TEXT NOT NULL,
    query      TEXT NOT NULL,
    expires_ns BIGINT NOT NULL
);
CREATE INDEX oidc_par_expires ON oidc_par (expires_ns);
