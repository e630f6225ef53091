-- Class projects with digital tools (« !projet »): what a class made with the
-- digital tools, kept so the letter, the activity report and the academy can show it.

-- number is the short number people type (!projet retirer 3), per establishment and
-- never given twice (storage/numbers.py). class_name is the class as written
-- (« 4e B »), discipline a word (« mathématiques »), tags folded words separated by
-- spaces. author is personal data (a Matrix ID, storage/donnees.py); the text is the
-- establishment's record of the project and stays when its author is forgotten.
-- Which letter showed a project is recorded by the letter (newsletter_items, kind
-- 'projet').
CREATE TABLE class_projects (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    class_name TEXT NOT NULL,
    discipline TEXT NOT NULL,
    text TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (establishment_id, number)
);
-- The digest, the report and the academy count projects by the time they were recorded.
CREATE INDEX class_projects_by_time ON class_projects (establishment_id, created_at);
CREATE INDEX class_projects_by_author ON class_projects (author);

-- Full-text index over the class, the discipline, the text and the tags, accents
-- folded, the establishment a column of the index (as the watch's and the sheets').
CREATE VIRTUAL TABLE class_projects_fts USING FTS5 (
    class_name, discipline, text, tags, establishment_id,
    tokenize='unicode61 remove_diacritics 2',
    content="class_projects",
    prefix='3 4 5 6 7 8 9 10 11 12'
);
CREATE TRIGGER class_projects_ai AFTER INSERT ON class_projects BEGIN
  INSERT INTO class_projects_fts (rowid, class_name, discipline, text, tags, establishment_id)
    VALUES (new.rowid, new.class_name, new.discipline, new.text, new.tags, new.establishment_id);
END;
CREATE TRIGGER class_projects_ad AFTER DELETE ON class_projects BEGIN
  INSERT INTO class_projects_fts (class_projects_fts, rowid, class_name, discipline, text, tags,
    establishment_id)
    VALUES ('delete', old.rowid, old.class_name, old.discipline, old.text, old.tags,
      old.establishment_id);
END;
CREATE TRIGGER class_projects_au AFTER UPDATE ON class_projects BEGIN
  INSERT INTO class_projects_fts (class_projects_fts, rowid, class_name, discipline, text, tags,
    establishment_id)
    VALUES ('delete', old.rowid, old.class_name, old.discipline, old.text, old.tags,
      old.establishment_id);
  INSERT INTO class_projects_fts (rowid, class_name, discipline, text, tags, establishment_id)
    VALUES (new.rowid, new.class_name, new.discipline, new.text, new.tags, new.establishment_id);
END;
