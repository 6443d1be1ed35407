-- How many dossiers each applicant filed online with each agency on each
-- day, kept as the dossiers are stored, so that the limit per account,
-- agency and day reads one row before a filing whatever the account's
-- history (the index of 0023 still read one entry per dossier).
CREATE TABLE dossier_applicant_days (
    applicant TEXT NOT NULL,
    agency    TEXT NOT NULL,
    day       TEXT NOT NULL,
    online    BIGINT NOT NULL,
    PRIMARY KEY (applicant, agency, day)
);

INSERT INTO dossier_applicant_days (applicant, agency, day, online)
SELECT applicant, agency, day, COUNT(*) FROM dossiers
WHERE channel = 2 GROUP BY applicant, agency, day;

-- in the statement that stores the dossier (channel 2: online)
CREATE FUNCTION motcua_count_online_filing() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dossier_applicant_days (applicant, agency, day, online)
    VALUES (NEW.applicant, NEW.agency, NEW.day, 1)
    ON CONFLICT (applicant, agency, day)
    DO UPDATE SET online = dossier_applicant_days.online + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER dossiers_count_online AFTER INSERT ON dossiers
FOR EACH ROW WHEN (NEW.channel = 2) EXECUTE FUNCTION motcua_count_online_filing();

DROP INDEX dossiers_applicant_day;
