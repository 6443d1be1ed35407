-- How many dossiers each applicant filed online with each agency on each
-- day, kept as the dossiers are stored, so that the limit per account,
-- agency and day reads one row before a filing whatever the account's
-- history (the index of 0023 still read one entry per dossier).
CREATE TABLE dossier_applicant_days (
    applicant TEXT NOT NULL,
    agency    TEXT NOT NULL,
    day       TEXT NOT NULL,
    online    INTEGER NOT NULL,
    PRIMARY KEY (applicant, agency, day)
);

INSERT INTO dossier_applicant_days (applicant, agency, day, online)
SELECT applicant, agency, day, COUNT(*) FROM dossiers
WHERE channel = 2 GROUP BY applicant, agency, day;

-- in the transaction that stores the dossier (channel 2: online)
CREATE TRIGGER dossiers_count_online AFTER INSERT ON dossiers
WHEN NEW.channel = 2
BEGIN
    INSERT INTO dossier_applicant_days (applicant, agency, day, online)
    VALUES (NEW.applicant, NEW.agency, NEW.day, 1)
    ON CONFLICT (applicant, agency, day) DO UPDATE SET online = online + 1;
END;

DROP INDEX dossiers_applicant_day;
