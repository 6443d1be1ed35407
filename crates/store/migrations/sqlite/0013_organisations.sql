-- Who acts for an organisation by right: its legal representatives and
-- its head, written with the organisation's account.
CREATE TABLE eid_org_people (
    organisation TEXT NOT NULL,
    person       TEXT NOT NULL,
    role         TEXT NOT NULL,
    PRIMARY KEY (organisation, person, role)
);
CREATE INDEX eid_org_people_person ON eid_org_people (person);

-- Authorisations organisations give people (scope, period, consents,
-- revocation: the JSON body, checked when read back).
CREATE TABLE eid_authorisations (
    id           TEXT NOT NULL PRIMARY KEY,
    organisation TEXT NOT NULL,
    grantee      TEXT NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX eid_authorisations_grantee ON eid_authorisations (grantee);
CREATE INDEX eid_authorisations_organisation ON eid_authorisations (organisation);

-- Username/password accounts of the old portals, imported: each stands
-- for an organisation (the same subject) until the cut-over.
CREATE TABLE eid_legacy (
    login_key    TEXT NOT NULL PRIMARY KEY,
    organisation TEXT NOT NULL,
    password     TEXT NOT NULL
);
