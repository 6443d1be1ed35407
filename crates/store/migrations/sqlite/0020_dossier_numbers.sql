-- Nothing to change: SQLite takes dossier numbers in the write transaction
-- that stores the dossiers (see the PostgreSQL migration of this number).
SELECT 1;
