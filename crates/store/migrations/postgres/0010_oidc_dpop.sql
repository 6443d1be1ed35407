-- DPoP proof ids seen (RFC 9449 §11.1), kept until the proof could no
-- longer be accepted anyway, so that a proof is used once.
CREATE TABLE oidc_dpop_jti (
    jti        TEXT NOT NULL PRIMARY KEY,
    expires_ns BIGINT NOT NULL
);
CREATE INDEX oidc_dpop_jti_expires ON oidc_dpop_jti (expires_ns);
