-- Delivery of the dossiers filed here to the back offices of their
-- receiving units (the national portal's side): which back office serves
-- which unit, and, per dossier, the version its back office acknowledged
-- and when to try again after a failure. A dossier whose version is ahead
-- of what its back office acknowledged is waiting to be delivered: the
-- change that moves the version is its entry in the outbox, written in the
-- same transaction by construction.
CREATE TABLE back_office_units (
    unit   TEXT NOT NULL PRIMARY KEY,
    office TEXT NOT NULL
);

CREATE INDEX back_office_units_office ON back_office_units (office);

INSERT INTO back_office_units (unit, office)
    SELECT j.value, b.id FROM back_offices b, json_each(b.body, '$.units') j
    WHERE true ON CONFLICT (unit) DO NOTHING;

ALTER TABLE dossiers ADD COLUMN down_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN down_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN down_next_ns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dossiers ADD COLUMN down_error TEXT;

CREATE INDEX dossiers_downstream ON dossiers (agency, down_next_ns) WHERE down_version < version;
