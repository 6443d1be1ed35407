-- An applicant's online dossiers with one agency on one day, counted before
-- each filing (the limit per account, agency and day): read from this
-- index alone, instead of visiting every dossier the applicant ever filed.
CREATE INDEX dossiers_applicant_day ON dossiers (applicant, agency, day, channel);
