-- Roles given by command (« !etablissement referent ajouter @x »), on top of those the
-- configuration names: effective at once, without a restart, and kept with who gave
-- them and when. A withdrawn role keeps its row, with who withdrew it and when: the
-- rows are the establishment's history of its roles. Someone holds at most one role
-- given by command in an establishment at a time.
-- user_id, granted_by and revoked_by are personal data (Matrix IDs, storage/donnees.py).
CREATE TABLE role_grants (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('referent', 'principal')),
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    revoked_by TEXT,
    revoked_at TEXT
);
-- Read for every command: the sender's role given by command, if any.
CREATE UNIQUE INDEX role_grants_current
    ON role_grants (establishment_id, user_id) WHERE revoked_at IS NULL;
-- A few rows per establishment and year: no index by person is needed to forget one.
CREATE INDEX role_grants_by_time ON role_grants (establishment_id, granted_at);
