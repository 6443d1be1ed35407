-- A statement that stores new dossiers also moves their agencies' daily
-- sequences from the last numbers its writer knows; when another writer
-- moved one first, the whole statement is refused with this error (SQLSTATE
-- MC001), so that nothing of it is kept and the writer reads the numbers
-- again.
CREATE FUNCTION motcua_dossier_numbers_moved() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'the dossier numbers of an agency''s day were moved by another writer'
        USING ERRCODE = 'MC001';
END
$$;
