-- Pairwise subject identifiers (OpenID Connect Core §8.1) given out per
-- sector, so that UserInfo finds the account behind the identifier a
-- relying party holds. The identifiers are HMACs under the provider's
-- salt (kept in `meta`); this table only maps them back.
CREATE TABLE oidc_pairwise (
    sector  TEXT NOT NULL,
    sub     TEXT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (sector, sub)
);
