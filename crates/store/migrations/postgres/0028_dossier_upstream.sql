-- What of each dossier the upstream portal has acknowledged (a province's
-- node reporting to the national portal): the version and the number of
-- processing steps, and when to try again after a failure. A dossier whose
-- version is ahead of what was acknowledged is waiting to be sent: the
-- change that moves the version is its entry in the outbox, written in the
-- same transaction by construction.
ALTER TABLE dossiers ADD COLUMN up_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN up_steps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN up_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN up_next_ns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN up_error TEXT;

CREATE INDEX dossiers_upstream ON dossiers (up_next_ns) WHERE up_version < version;
