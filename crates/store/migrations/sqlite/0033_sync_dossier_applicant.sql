-- The applicant of a synchronised dossier, by the personal identification
-- number its packet names (`DinhDanhCHS`), so that the national portal
-- lists a person's dossiers received at a province's counter with those
-- filed on it.
ALTER TABLE sync_dossiers ADD COLUMN applicant TEXT;

CREATE INDEX sync_dossiers_applicant ON sync_dossiers (applicant, updated_ns);

UPDATE sync_dossiers SET applicant = (
    SELECT json_extract(i.value, '$.SoDinhDanh')
    FROM json_each(sync_dossiers.body, '$.packet.DinhDanhCHS') AS i
    WHERE i.type = 'object'
      AND CAST(json_extract(i.value, '$.LoaiDinhDanh') AS TEXT) = '1'
      AND length(json_extract(i.value, '$.SoDinhDanh')) = 12
    LIMIT 1
);
