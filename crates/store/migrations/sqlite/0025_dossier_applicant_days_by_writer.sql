-- The writer that stores a batch of new dossiers now moves each
-- applicant's day in `dossier_applicant_days` with one upsert beside the
-- batch's insert, in the same transaction; the trigger that did it row by
-- row goes.
DROP TRIGGER dossiers_count_online;
