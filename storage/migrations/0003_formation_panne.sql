-- Training needs (besoins de formation), their supporters, the sessions planned
-- from them and the date polls; breakdowns (pannes) reported by teachers.
-- Numbers shown to users are per establishment (n° 1, 2, 3… in each school), so
-- every numbered table has UNIQUE (establishment_id, number).

-- A need a teacher expressed. author is personal data (Matrix ID); text is what
-- they typed, personal data too. tags holds CRCN slugs separated by spaces.
-- status: open → planned (a session exists) → closed; or dane (forwarded to the
-- academy team). closed_by is personal data (Matrix ID).
CREATE TABLE training_needs (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'planned', 'closed', 'dane')),
    status_at TEXT,
    closed_by TEXT,
    close_note TEXT,
    poll_event_id TEXT,
    UNIQUE (establishment_id, number)
);
CREATE INDEX training_needs_status ON training_needs (establishment_id, status);

-- One row per person supporting a need (the author is the first). The primary
-- key makes a second +1 from the same person a no-op. voter is personal data.
CREATE TABLE training_votes (
    need_id INTEGER NOT NULL REFERENCES training_needs(id) ON DELETE CASCADE,
    voter TEXT NOT NULL,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (need_id, voter)
);

-- The session planned for a need (one per need; planning again moves it).
-- starts_at is UTC ISO 8601 so that text order is time order. planned_by is
-- personal data (Matrix ID).
CREATE TABLE training_sessions (
    need_id INTEGER PRIMARY KEY REFERENCES training_needs(id) ON DELETE CASCADE,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    starts_at TEXT NOT NULL,
    place TEXT,
    planned_by TEXT NOT NULL,
    planned_at TEXT NOT NULL
);
CREATE INDEX training_sessions_start ON training_sessions (establishment_id, starts_at);

-- A date poll posted in the room (m.poll.start) for a need. options is JSON:
-- [{"id": "date-1", "starts_at": "<UTC ISO>"}, …]. created_by is personal data.
CREATE TABLE training_polls (
    event_id TEXT PRIMARY KEY,
    need_id INTEGER NOT NULL REFERENCES training_needs(id) ON DELETE CASCADE,
    room_id TEXT NOT NULL,
    options TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
);

-- The latest poll answer of each person (the last one counts, as in Matrix
-- clients). response_event_id and origin_ts make replays idempotent. answers is
-- a JSON list of option ids (empty: a spoiled vote). voter is personal data.
CREATE TABLE training_poll_responses (
    poll_event_id TEXT NOT NULL REFERENCES training_polls(event_id) ON DELETE CASCADE,
    voter TEXT NOT NULL,
    response_event_id TEXT NOT NULL,
    answers TEXT NOT NULL,
    origin_ts INTEGER NOT NULL,
    PRIMARY KEY (poll_event_id, voter)
);

-- A breakdown reported with !panne. reporter and resolved_by are personal data
-- (Matrix IDs); description is what the teacher typed, personal data too.
-- category is the classifier's answer (videoprojecteur, reseau, …, autre).
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    reporter TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    ticket_ref TEXT,
    ticket_at TEXT,
    resolved_at TEXT,
    resolved_by TEXT,
    UNIQUE (establishment_id, number)
);
CREATE INDEX incidents_open ON incidents (establishment_id, resolved_at);
