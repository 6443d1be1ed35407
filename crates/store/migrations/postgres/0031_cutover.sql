-- The cut-over of closed provincial portals: a dossier brought in keeps the
-- code it had there (`legacy_code`, under the old province's code
-- `legacy_source`), which keeps working; a pair is brought in once.
ALTER TABLE dossiers ADD COLUMN legacy_source TEXT;
ALTER TABLE dossiers ADD COLUMN legacy_code TEXT;
CREATE UNIQUE INDEX dossiers_legacy ON dossiers (legacy_source, legacy_code);
CREATE INDEX dossiers_legacy_code ON dossiers (legacy_code);

-- The exported dossiers a person decides on before they are brought in
-- (a split commune, an unknown procedure …): the line as exported, why,
-- and, once decided, the dossier it became.
CREATE TABLE cutover_reviews (
    source TEXT NOT NULL,
    old_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    candidates TEXT NOT NULL,
    line TEXT NOT NULL,
    first_ns BIGINT NOT NULL,
    last_ns BIGINT NOT NULL,
    settled_ns BIGINT,
    settled_code TEXT,
    settled_by TEXT,
    PRIMARY KEY (source, old_code)
);
CREATE INDEX cutover_reviews_open ON cutover_reviews (source, kind) WHERE settled_ns IS NULL;
