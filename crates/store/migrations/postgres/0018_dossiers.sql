-- Dossiers, and each receiving agency's daily sequence of dossier codes
-- (AGENCY-YYMMDD-NNNN): the number is taken in the transaction that
-- stores the dossier, so numbers are neither repeated nor skipped.
CREATE TABLE dossier_sequences (
    agency TEXT NOT NULL,
    day    TEXT NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (agency, day)
);

CREATE TABLE dossiers (
    code       TEXT NOT NULL PRIMARY KEY,
    agency     TEXT NOT NULL,
    day        TEXT NOT NULL,
    sequence   INTEGER NOT NULL,
    status     INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_ns BIGINT NOT NULL,
    UNIQUE (agency, day, sequence)
);
