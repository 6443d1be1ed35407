-- Key/value facts about the store itself (`units_version`, …).
CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The administrative units in force from 2025-07-01.
CREATE TABLE provinces (
    code       TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    short_name TEXT NOT NULL,
    kind       TEXT NOT NULL,
    phone_code TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL
) STRICT;

CREATE TABLE communes (
    code          TEXT NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    short_name    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    province_code TEXT NOT NULL REFERENCES provinces (code),
    lat           REAL NOT NULL,
    lon           REAL NOT NULL,
    area_km2      REAL
) STRICT;
CREATE INDEX communes_province ON communes (province_code);

-- The units before the 2025 merger.
CREATE TABLE legacy_provinces (
    code       TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    short_name TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL
) STRICT;

CREATE TABLE legacy_districts (
    code          TEXT NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    short_name    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    province_code TEXT NOT NULL REFERENCES legacy_provinces (code),
    lat           REAL NOT NULL,
    lon           REAL NOT NULL
) STRICT;
CREATE INDEX legacy_districts_province ON legacy_districts (province_code);

CREATE TABLE legacy_communes (
    code          TEXT NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    short_name    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    district_code TEXT NOT NULL REFERENCES legacy_districts (code),
    province_code TEXT NOT NULL REFERENCES legacy_provinces (code),
    lat           REAL NOT NULL,
    lon           REAL NOT NULL
) STRICT;
CREATE INDEX legacy_communes_district ON legacy_communes (district_code);
CREATE INDEX legacy_communes_province ON legacy_communes (province_code);

-- The official old-commune → new-commune conversion table.
CREATE TABLE commune_conversion (
    old_commune_code TEXT    NOT NULL REFERENCES legacy_communes (code),
    new_commune_code TEXT    NOT NULL REFERENCES communes (code),
    partly_merged    INTEGER NOT NULL CHECK (partly_merged IN (0, 1)),
    PRIMARY KEY (old_commune_code, new_commune_code)
) STRICT;
CREATE INDEX commune_conversion_new ON commune_conversion (new_commune_code);
