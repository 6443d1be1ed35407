-- The applicant of a synchronised dossier, by the personal identification
-- number its packet names (`DinhDanhCHS`), so that the national portal
-- lists a person's dossiers received at a province's counter with those
-- filed on it.
ALTER TABLE sync_dossiers ADD COLUMN applicant TEXT;

CREATE INDEX sync_dossiers_applicant ON sync_dossiers (applicant, updated_ns);

UPDATE sync_dossiers SET applicant = (
    SELECT i ->> 'SoDinhDanh'
    FROM jsonb_array_elements(
        CASE WHEN jsonb_typeof(body::jsonb -> 'packet' -> 'DinhDanhCHS') = 'array'
             THEN body::jsonb -> 'packet' -> 'DinhDanhCHS' ELSE '[]'::jsonb END
    ) AS i
    WHERE jsonb_typeof(i) = 'object'
      AND i ->> 'LoaiDinhDanh' = '1'
      AND length(i ->> 'SoDinhDanh') = 12
    LIMIT 1
);
