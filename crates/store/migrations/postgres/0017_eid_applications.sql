-- Applications for eID accounts: the application with its status history
-- and evidence (JSON, checked when read back), who applies, and the legal
-- issue deadline in working days, for the officers' queue.
CREATE TABLE eid_applications (
    id           TEXT NOT NULL PRIMARY KEY,
    login_key    TEXT NOT NULL,
    status       TEXT NOT NULL,
    due_ns       BIGINT NOT NULL,
    submitted_ns BIGINT NOT NULL,
    body         TEXT NOT NULL
);
CREATE INDEX eid_applications_status ON eid_applications (status, due_ns);
CREATE INDEX eid_applications_login ON eid_applications (login_key);
