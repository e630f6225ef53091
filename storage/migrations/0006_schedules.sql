-- Surveys: opened in a room with !enquete ouvrir, or set for the whole academy in
-- the config ([[survey]]) and copied into every establishment at start.
-- Instants are UTC ISO strings (fixed width, so they compare as text);
-- deadline is the last day to answer (ISO date, in the establishment's calendar).
CREATE TABLE surveys (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,              -- what people type: n° 1, 2… per establishment
    title TEXT,                           -- NULL: shown as « Enquête n° 2 »
    url TEXT NOT NULL,
    audience TEXT NOT NULL CHECK (audience IN ('members', 'referents')),
    opens_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    academy_key TEXT,                     -- the config survey it comes from (its URL), else NULL
    opened_by TEXT,                       -- personal data: Matrix ID of the referent who opened it
    closed_at TEXT,                       -- closed before its deadline
    UNIQUE (establishment_id, number),
    UNIQUE (establishment_id, academy_key)
);

-- Who said « !enquete fait »: they get no more reminders. user_id is personal data.
CREATE TABLE survey_answers (
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,                -- personal data: Matrix ID
    answered_at TEXT NOT NULL,
    PRIMARY KEY (survey_id, user_id)
);
CREATE INDEX survey_answers_at ON survey_answers (answered_at);

-- Newsletters sent: the weekly one (period 2026-W48) and those sent by hand
-- (period manuel:<command event id>). as_of is the instant the letter's content
-- was taken at: its scheduled time, even when sent late after a restart.
CREATE TABLE newsletters (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    as_of TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    UNIQUE (establishment_id, period)
);

-- What each letter showed, by kind (veille, enquete, …) and the family's own id:
-- an item is announced in one letter only. No personal data.
CREATE TABLE newsletter_items (
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    letter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    PRIMARY KEY (establishment_id, kind, item_id)
);
