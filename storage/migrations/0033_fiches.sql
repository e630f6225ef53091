-- Answer sheets (« !fiche »): the referents' short written answers to the questions
-- colleagues ask every week (« comment connecter le VPI ? »), by name, per establishment.

-- name is what people type (« vpi-connexion »): lowercase letters, digits and
-- hyphens, unique in the establishment. body is the answer, line breaks kept.
-- author and updated_by are personal data (Matrix IDs, storage/donnees.py); the
-- body is the establishment's documentation and stays when its author is forgotten.
CREATE TABLE answer_sheets (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (establishment_id, name)
);

-- One row each time a sheet is written or rewritten. The newsletter shows a sheet
-- once per change: it records the change it showed (newsletter_items, kind
-- 'fiche'). A removed sheet leaves its changes, unlinked, so the months'
-- counts of the digest and the activity report stay what they were. Nobody's ID
-- here: who wrote is on the sheet.
CREATE TABLE answer_sheet_changes (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    sheet_id INTEGER REFERENCES answer_sheets(id) ON DELETE SET NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX answer_sheet_changes_by_sheet ON answer_sheet_changes (sheet_id, changed_at);
CREATE INDEX answer_sheet_changes_by_time ON answer_sheet_changes (establishment_id, changed_at);

-- One row each time someone reads a sheet: a count for the digest and the
-- report, never who read it.
CREATE TABLE answer_sheet_reads (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    sheet_id INTEGER REFERENCES answer_sheets(id) ON DELETE SET NULL,
    read_at TEXT NOT NULL
);
CREATE INDEX answer_sheet_reads_by_time ON answer_sheet_reads (establishment_id, read_at);
CREATE INDEX answer_sheet_reads_by_sheet ON answer_sheet_reads (sheet_id);

-- Full-text index over the name and the body, accents folded, the establishment a
-- column of the index (as veille_items_fts since 0012, prefixes as since 0015).
CREATE VIRTUAL TABLE answer_sheets_fts USING FTS5 (
    name, body, establishment_id,
    tokenize='unicode61 remove_diacritics 2',
    content="answer_sheets",
    prefix='3 4 5 6 7 8 9 10 11 12'
);
CREATE TRIGGER answer_sheets_ai AFTER INSERT ON answer_sheets BEGIN
  INSERT INTO answer_sheets_fts (rowid, name, body, establishment_id)
    VALUES (new.rowid, new.name, new.body, new.establishment_id);
END;
CREATE TRIGGER answer_sheets_ad AFTER DELETE ON answer_sheets BEGIN
  INSERT INTO answer_sheets_fts (answer_sheets_fts, rowid, name, body, establishment_id)
    VALUES ('delete', old.rowid, old.name, old.body, old.establishment_id);
END;
CREATE TRIGGER answer_sheets_au AFTER UPDATE ON answer_sheets BEGIN
  INSERT INTO answer_sheets_fts (answer_sheets_fts, rowid, name, body, establishment_id)
    VALUES ('delete', old.rowid, old.name, old.body, old.establishment_id);
  INSERT INTO answer_sheets_fts (rowid, name, body, establishment_id)
    VALUES (new.rowid, new.name, new.body, new.establishment_id);
END;
