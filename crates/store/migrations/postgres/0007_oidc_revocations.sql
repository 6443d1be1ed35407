-- Access tokens revoked before they expire (RFC 7009), by their `jti`,
-- kept until `exp_ns` (after which the token is dead anyway).
CREATE TABLE oidc_revoked (
    jti    TEXT NOT NULL PRIMARY KEY,
    exp_ns BIGINT NOT NULL
);
CREATE INDEX oidc_revoked_exp ON oidc_revoked (exp_ns);
