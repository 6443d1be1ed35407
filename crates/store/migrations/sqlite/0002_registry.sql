-- The population registry: append-only vital events and the current record
-- derived from them.

-- Every vital event, as recorded (the JSON of `registry::VitalEvent`).
-- Never updated nor deleted; `seq` is the order of storage.
CREATE TABLE vital_events (
    seq         INTEGER NOT NULL PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    person      TEXT    NOT NULL,
    -- `recorded_at` in microseconds since 1970, for ordering
    recorded_us INTEGER NOT NULL,
    body        TEXT    NOT NULL
) STRICT;
CREATE INDEX vital_events_person ON vital_events (person, recorded_us, seq);

-- The current record of each person (the JSON of `registry::Person`),
-- re-derived from the events in the transaction that appends them, with
-- the columns lookups select on.
CREATE TABLE people (
    pid            TEXT NOT NULL PRIMARY KEY,
    -- `registry::name_key` of the current name
    name_key       TEXT NOT NULL,
    -- the first and last words of `name_key` (family and given name)
    short_key      TEXT NOT NULL,
    -- the birth date's earliest and latest possible days (YYYY-MM-DD)
    birth_earliest TEXT NOT NULL,
    birth_latest   TEXT NOT NULL,
    sex            TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    -- the commune of permanent residence (2025 code)
    commune        TEXT,
    household      TEXT,
    record         TEXT NOT NULL
) STRICT;
CREATE INDEX people_name_key ON people (name_key);
CREATE INDEX people_short_key ON people (short_key);
CREATE INDEX people_household ON people (household) WHERE household IS NOT NULL;

-- The name keys of former names (rare: kept apart from `people`).
CREATE TABLE people_former_names (
    pid      TEXT NOT NULL REFERENCES people (pid),
    name_key TEXT NOT NULL,
    PRIMARY KEY (pid, name_key)
) STRICT;
CREATE INDEX people_former_names_key ON people_former_names (name_key);
