-- Parent -> child links of the current records, so that a person's
-- children can be found (the record names only the parents). Rewritten
-- with the person's record.
CREATE TABLE people_parents (
    child  TEXT COLLATE "C" NOT NULL,
    parent TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (child, parent)
);
CREATE INDEX people_parents_parent ON people_parents (parent);

-- the records stored before this table existed
INSERT INTO people_parents (child, parent)
SELECT pid, parent
FROM people,
     LATERAL (VALUES (record::jsonb #>> '{father,value}'),
                     (record::jsonb #>> '{mother,value}')) AS p (parent)
WHERE parent IS NOT NULL
ON CONFLICT DO NOTHING;
