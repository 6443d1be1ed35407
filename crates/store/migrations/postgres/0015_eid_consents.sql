-- What each person agreed a relying party may read (its scopes), so that
-- they are asked again only for something new.
CREATE TABLE eid_consents (
    subject   TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scopes    TEXT NOT NULL,
    given_ns  BIGINT NOT NULL,
    PRIMARY KEY (subject, client_id)
);
