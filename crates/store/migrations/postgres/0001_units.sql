-- Codes are compared byte-wise (COLLATE "C"): they are digit strings, and
-- their order must not depend on the server's locale.

-- Key/value facts about the store itself (`units_version`, …).
CREATE TABLE meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- The administrative units in force from 2025-07-01.
CREATE TABLE provinces (
    code       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    short_name TEXT NOT NULL,
    kind       TEXT NOT NULL,
    phone_code TEXT NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    lon        DOUBLE PRECISION NOT NULL
);

CREATE TABLE communes (
    code          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    short_name    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    province_code TEXT COLLATE "C" NOT NULL REFERENCES provinces (code),
    lat           DOUBLE PRECISION NOT NULL,
    lon           DOUBLE PRECISION NOT NULL,
    area_km2      DOUBLE PRECISION
);
CREATE INDEX communes_province ON communes (province_code);

-- The units before the 2025 merger.
CREATE TABLE legacy_provinces (
    code       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    short_name TEXT NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    lon        DOUBLE PRECISION NOT NULL
);

CREATE TABLE legacy_districts (
    code          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    short_name    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    province_code TEXT COLLATE "C" NOT NULL REFERENCES legacy_provinces (code),
    lat           DOUBLE PRECISION NOT NULL,
    lon           DOUBLE PRECISION NOT NULL
);
CREATE INDEX legacy_districts_province ON legacy_districts (province_code);

CREATE TABLE legacy_communes (
    code          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    short_name    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    district_code TEXT COLLATE "C" NOT NULL REFERENCES legacy_districts (code),
    province_code TEXT COLLATE "C" NOT NULL REFERENCES legacy_provinces (code),
    lat           DOUBLE PRECISION NOT NULL,
    lon           DOUBLE PRECISION NOT NULL
);
CREATE INDEX legacy_communes_district ON legacy_communes (district_code);
CREATE INDEX legacy_communes_province ON legacy_communes (province_code);

-- The official old-commune → new-commune conversion table.
CREATE TABLE commune_conversion (
    old_commune_code TEXT COLLATE "C" NOT NULL REFERENCES legacy_communes (code),
    new_commune_code TEXT COLLATE "C" NOT NULL REFERENCES communes (code),
    partly_merged    BOOLEAN NOT NULL,
    PRIMARY KEY (old_commune_code, new_commune_code)
);
CREATE INDEX commune_conversion_new ON commune_conversion (new_commune_code);
