-- The agency's day a synchronised dossier belongs to, read from its code
-- (`AGENCY-yymmdd-NNNN` → `AGENCY-yymmdd-`), for reconciling a day by
-- equality (a range over codes would follow the database's collation).
ALTER TABLE sync_dossiers ADD COLUMN day_key TEXT;

CREATE INDEX sync_dossiers_day ON sync_dossiers (day_key);
