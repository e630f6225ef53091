-- The shared watch ("veille"): links shared with !veille, searchable, queued for
-- the newsletter.

-- number is the short number people use (!veille retirer 3), per establishment and
-- never reused (see veille_counters). title is the fetched page title, or the URL
-- itself when no title could be read (title_found = 0). tags: folded words
-- separated by spaces. Which newsletter showed an item is recorded by the
-- newsletter itself (newsletter_items, kind 'veille').
-- author is personal data (a Matrix ID); comment is free text that person typed.
CREATE TABLE veille_items (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    normalized_url TEXT NOT NULL,
    title TEXT NOT NULL,
    title_found INTEGER NOT NULL CHECK (title_found IN (0, 1)),
    comment TEXT,
    tags TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    -- The same link shared twice in one establishment is refused by the database too.
    UNIQUE (establishment_id, normalized_url),
    UNIQUE (establishment_id, number)
);

-- The last short number given in each establishment. max(number) + 1 would hand
-- the number of a removed link to the next one, and an old "!veille retirer 5"
-- would then remove the wrong link.
CREATE TABLE veille_counters (
    establishment_id TEXT PRIMARY KEY REFERENCES establishments(id) ON DELETE CASCADE,
    last_number INTEGER NOT NULL
);

-- Full-text index over title, comment and tags, accents folded so that "numerique"
-- finds "Numérique". Same shape and names as sqlite-utils' enable_fts(...,
-- create_triggers=True), so db["veille_items"].search() finds it; written here because
-- enable_fts() commits through executescript() and cannot run inside a migration.
CREATE VIRTUAL TABLE veille_items_fts USING FTS5 (
    title, comment, tags,
    tokenize='unicode61 remove_diacritics 2',
    content="veille_items"
);
CREATE TRIGGER veille_items_ai AFTER INSERT ON veille_items BEGIN
  INSERT INTO veille_items_fts (rowid, title, comment, tags)
    VALUES (new.rowid, new.title, new.comment, new.tags);
END;
CREATE TRIGGER veille_items_ad AFTER DELETE ON veille_items BEGIN
  INSERT INTO veille_items_fts (veille_items_fts, rowid, title, comment, tags)
    VALUES ('delete', old.rowid, old.title, old.comment, old.tags);
END;
CREATE TRIGGER veille_items_au AFTER UPDATE ON veille_items BEGIN
  INSERT INTO veille_items_fts (veille_items_fts, rowid, title, comment, tags)
    VALUES ('delete', old.rowid, old.title, old.comment, old.tags);
  INSERT INTO veille_items_fts (rowid, title, comment, tags)
    VALUES (new.rowid, new.title, new.comment, new.tags);
END;
