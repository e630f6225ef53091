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
-- Deliberately without the sender: an event id is all de-duplication needs.
CREATE TABLE handled_events (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
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

-- One row per run of a scheduled job for an establishment and a period
-- (e.g. lettre / clg-x / 2026-W48), written in the same transaction as the run's
-- effect: a job never runs twice for a period, even across crashes.
CREATE TABLE job_runs (
    job TEXT NOT NULL,
    establishment_id TEXT NOT NULL,
    period TEXT NOT NULL,
    ran_at TEXT NOT NULL,
    PRIMARY KEY (job, establishment_id, period)
);

-- Messages decided by a job or a command, queued in the transaction that decided
-- them and sent afterwards; txn_id makes a resend after a crash harmless.
-- dm_user and mentions are personal data (kept until sent, then pruned); an attached
-- file (a personal export) is dropped as soon as it is sent.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT,
    room_id TEXT,
    dm_user TEXT,
    body TEXT NOT NULL,
    html TEXT NOT NULL,
    mentions TEXT NOT NULL DEFAULT '[]',
    txn_id TEXT NOT NULL UNIQUE,
    filename TEXT,
    mimetype TEXT,
    data BLOB,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    event_id TEXT
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
