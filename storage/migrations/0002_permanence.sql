-- The weekly drop-in help ("permanence numérique").

-- A weekly series opened by a referent; several per establishment.
-- opened_by is personal data.
CREATE TABLE permanence_series (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_time TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
    capacity INTEGER NOT NULL CHECK (capacity > 0),
    place TEXT,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    stopped_at TEXT
);

-- One occurrence of a series, generated ahead on school days only. number is the
-- short number people book with, stable for the life of the occurrence.
-- cancelled_by is personal data.
CREATE TABLE permanence_slots (
    id INTEGER PRIMARY KEY,
    establishment_id TEXT NOT NULL REFERENCES establishments(id) ON DELETE CASCADE,
    series_id INTEGER NOT NULL REFERENCES permanence_series(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    starts_at TEXT NOT NULL,
    starts_utc TEXT NOT NULL,
    ends_utc TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    place TEXT,
    cancelled_at TEXT,
    cancelled_by TEXT,
    UNIQUE (establishment_id, number),
    UNIQUE (series_id, starts_utc)
);
CREATE INDEX permanence_slots_upcoming ON permanence_slots (establishment_id, starts_utc);

-- user_id and subject are personal data.
CREATE TABLE permanence_bookings (
    id INTEGER PRIMARY KEY,
    slot_id INTEGER NOT NULL REFERENCES permanence_slots(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    subject TEXT,
    status TEXT NOT NULL CHECK (status IN ('booked', 'waiting', 'cancelled')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- At most one live booking per person and occurrence: the database refuses doubles.
CREATE UNIQUE INDEX permanence_one_booking
    ON permanence_bookings (slot_id, user_id) WHERE status != 'cancelled';
CREATE INDEX permanence_bookings_user ON permanence_bookings (user_id, status);
