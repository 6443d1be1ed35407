-- The OpenID Connect provider: relying parties and signing keys.

-- A relying party (the JSON of `identity::client::Client`: its secret only
-- as a hash).
CREATE TABLE oidc_clients (
    id         TEXT NOT NULL PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_ns BIGINT NOT NULL
);

-- The provider's Ed25519 signing keys: the one that signs ('current', at
-- most one), the one published ahead ('next', at most one), and those
-- rotated out, accepted until `retire_ns`. `seed` is secret.
CREATE TABLE oidc_keys (
    kid       TEXT NOT NULL PRIMARY KEY,
    role      TEXT NOT NULL CHECK (role IN ('current', 'next', 'previous')),
    seed      TEXT NOT NULL,
    retire_ns BIGINT,
    CHECK ((role = 'previous') = (retire_ns IS NOT NULL))
);
CREATE UNIQUE INDEX oidc_keys_one_current ON oidc_keys (role) WHERE role = 'current';
CREATE UNIQUE INDEX oidc_keys_one_next ON oidc_keys (role) WHERE role = 'next';
