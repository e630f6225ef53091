-- A member of several establishments' rooms who writes to the bot in private
-- chooses once (!etablissement) which establishment their commands act for.
-- user_id is personal data (storage/donnees.py).
CREATE TABLE direct_choices (
    user_id TEXT PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    chosen_at TEXT NOT NULL
);

-- Which message of the bot stands for a training need: a 👍 on it supports the need.
CREATE TABLE training_need_messages (
    event_id TEXT PRIMARY KEY,
    need_id INTEGER NOT NULL REFERENCES training_needs(id) ON DELETE CASCADE,
    room_id TEXT NOT NULL
);

-- The reactions the bot acted on, so that each counts once across restarts and
-- removing one (its redaction) undoes what it did. sender is personal data.
CREATE TABLE counted_reactions (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    target_event_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    counted_at TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE INDEX counted_reactions_sender ON counted_reactions (sender);

-- A ✅ on a survey reminder is read through the outbox row sent as that event.
CREATE INDEX outbox_event ON outbox (event_id) WHERE event_id IS NOT NULL;
