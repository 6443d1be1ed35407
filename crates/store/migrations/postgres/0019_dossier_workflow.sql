-- Dossiers through their lifecycle: the columns the queues, the
-- applicant's list and the scorecard read (the dossier itself stays whole
-- in body, written with a version that only moves forward), and the
-- notices to applicants — read in the portal, e-mailed from this table
-- (the transactional outbox: a notice is stored in the transaction that
-- changes the dossier).
ALTER TABLE dossiers ADD COLUMN competent TEXT NOT NULL DEFAULT '';
ALTER TABLE dossiers ADD COLUMN procedure_code TEXT NOT NULL DEFAULT '';
ALTER TABLE dossiers ADD COLUMN applicant TEXT NOT NULL DEFAULT '';
ALTER TABLE dossiers ADD COLUMN province TEXT NOT NULL DEFAULT '';
ALTER TABLE dossiers ADD COLUMN due_ns BIGINT;
ALTER TABLE dossiers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE dossiers ADD COLUMN updated_ns BIGINT NOT NULL DEFAULT 0;
-- set once processed (status 9): 1 when on time against form 01
ALTER TABLE dossiers ADD COLUMN on_time INTEGER;
ALTER TABLE dossiers ADD COLUMN processed_ns BIGINT;
ALTER TABLE dossiers ADD COLUMN rating INTEGER;
-- the channel's code: 1 in person, 2 online, 3 postal
ALTER TABLE dossiers ADD COLUMN channel INTEGER NOT NULL DEFAULT 2;

CREATE INDEX dossiers_competent ON dossiers (competent, status, due_ns);
CREATE INDEX dossiers_receiving ON dossiers (agency, status, due_ns);
CREATE INDEX dossiers_applicant ON dossiers (applicant, created_ns);
CREATE INDEX dossiers_province_processed ON dossiers (province, processed_ns);
CREATE INDEX dossiers_province_created ON dossiers (province, created_ns);

CREATE TABLE dossier_notices (
    id          BIGSERIAL PRIMARY KEY,
    recipient   TEXT NOT NULL,
    dossier     TEXT NOT NULL,
    status      INTEGER NOT NULL,
    text_vi     TEXT NOT NULL,
    text_en     TEXT NOT NULL,
    email       TEXT,
    created_ns  BIGINT NOT NULL,
    read_ns     BIGINT,
    emailed_ns  BIGINT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_ns BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX dossier_notices_recipient ON dossier_notices (recipient, id);
CREATE INDEX dossier_notices_mail ON dossier_notices (next_try_ns)
    WHERE email IS NOT NULL AND emailed_ns IS NULL;

-- Who works for which agency, and as what (officer or leader): the
-- workbench shows an officer only their agencies' dossiers.
CREATE TABLE agency_staff (
    account  TEXT NOT NULL,
    agency   TEXT NOT NULL,
    role     TEXT NOT NULL,
    added_ns BIGINT NOT NULL,
    PRIMARY KEY (account, agency)
);
CREATE INDEX agency_staff_agency ON agency_staff (agency);

-- The files an applicant attaches for a procedure's documents (checked by
-- type and size before they are kept), one per document, the last kept.
CREATE TABLE dossier_attachments (
    dossier    TEXT NOT NULL,
    document   TEXT NOT NULL,
    name       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    content    BYTEA NOT NULL,
    added_ns   BIGINT NOT NULL,
    PRIMARY KEY (dossier, document)
);
