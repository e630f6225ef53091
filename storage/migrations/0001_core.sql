-- Establishments and the people the bot knows in them.
CREATE TABLE establishments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    room TEXT NOT NULL,
    room_id TEXT,
    zone TEXT NOT NULL,
    timezone TEXT NOT NULL
);

-- Referents and principals come from the config; teachers are recorded when they
-- first use a command. user_id and display_name are personal data.
CREATE TABLE members (
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('teacher', 'referent', 'principal')),
    display_name TEXT,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (establishment_id, user_id)
);

-- Small key/value state of the process (sync token).
CREATE TABLE bot_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Every command event the bot has answered, so a replayed sync never answers twice.
-- sender is personal data.
CREATE TABLE handled_events (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    handled_at TEXT NOT NULL
);
CREATE INDEX handled_events_at ON handled_events (handled_at);

-- Commands received and not answered yet (see storage/inbox.py). sender and body
-- are personal data, kept only until the command is answered.
CREATE TABLE inbox (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    body TEXT NOT NULL,
    origin_ts INTEGER NOT NULL,
    received_at TEXT NOT NULL
);
