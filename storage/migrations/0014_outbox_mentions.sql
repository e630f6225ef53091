-- !mes-donnees and !oublie-moi look for a person in the mentions of queued and
-- recently sent messages (a JSON list, matched with instr(), which no index can
-- serve). Most messages mention nobody: this index lists those that do, and the
-- lookup (storage/privacy.py) reads only them instead of the whole outbox.
CREATE INDEX IF NOT EXISTS outbox_mentioning ON outbox (id) WHERE mentions <> '[]';
