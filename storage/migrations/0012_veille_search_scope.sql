-- The search index knew no establishment: every search matched the links of the
-- whole académie (17,000 for « numerique » at 430 establishments) before keeping
-- one establishment's. The establishment is now a column of the index, so FTS5
-- intersects it with the words and reads only that establishment's matches.
DROP TRIGGER veille_items_ai;
DROP TRIGGER veille_items_ad;
DROP TRIGGER veille_items_au;
DROP TABLE veille_items_fts;

CREATE VIRTUAL TABLE veille_items_fts USING FTS5 (
    title, comment, tags, establishment_id,
    tokenize='unicode61 remove_diacritics 2',
    content="veille_items"
);
CREATE TRIGGER veille_items_ai AFTER INSERT ON veille_items BEGIN
  INSERT INTO veille_items_fts (rowid, title, comment, tags, establishment_id)
    VALUES (new.rowid, new.title, new.comment, new.tags, new.establishment_id);
END;
CREATE TRIGGER veille_items_ad AFTER DELETE ON veille_items BEGIN
  INSERT INTO veille_items_fts (veille_items_fts, rowid, title, comment, tags, establishment_id)
    VALUES ('delete', old.rowid, old.title, old.comment, old.tags, old.establishment_id);
END;
CREATE TRIGGER veille_items_au AFTER UPDATE ON veille_items BEGIN
  INSERT INTO veille_items_fts (veille_items_fts, rowid, title, comment, tags, establishment_id)
    VALUES ('delete', old.rowid, old.title, old.comment, old.tags, old.establishment_id);
  INSERT INTO veille_items_fts (rowid, title, comment, tags, establishment_id)
    VALUES (new.rowid, new.title, new.comment, new.tags, new.establishment_id);
END;
INSERT INTO veille_items_fts (veille_items_fts) VALUES ('rebuild');
