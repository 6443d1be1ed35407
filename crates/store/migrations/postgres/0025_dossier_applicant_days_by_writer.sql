-- The writer that stores a batch of new dossiers now moves each
-- applicant's day in `dossier_applicant_days` with one upsert in the
-- batch's statement; the trigger that did it row by row goes.
DROP TRIGGER dossiers_count_online ON dossiers;
DROP FUNCTION motcua_count_online_filing();
