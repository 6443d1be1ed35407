-- Parent -> child links of the current records, so that a person's
-- children can be found (the record names only the parents). Rewritten
-- with the person's record.
CREATE TABLE people_parents (
    child  TEXT NOT NULL,
    parent TEXT NOT NULL,
    PRIMARY KEY (child, parent)
) WITHOUT ROWID;
CREATE INDEX people_parents_parent ON people_parents (parent);

-- the records stored before this table existed
INSERT OR IGNORE INTO people_parents (child, parent)
SELECT pid, parent FROM (
    SELECT pid, json_extract(record, '$.father.value') AS parent FROM people
    UNION ALL
    SELECT pid, json_extract(record, '$.mother.value') FROM people
)
WHERE parent IS NOT NULL;
