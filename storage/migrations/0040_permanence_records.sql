-- What became of a permanence: recorded by a referent after it took place
-- (« !permanence fait 12 @prof1 Pronote, ENT »); recording again replaces it.
-- recorded_by is personal data; topics is the establishment's account of the slot
-- (it goes into the yearly report), as an objective's text is.
CREATE TABLE permanence_records (
    slot_id INTEGER PRIMARY KEY REFERENCES permanence_slots(id) ON DELETE CASCADE,
    topics TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- Who came to a recorded permanence: no row for a slot nobody came to.
-- user_id is personal data: exported, and anonymised when forgotten (the count stays).
CREATE TABLE permanence_attendance (
    id INTEGER PRIMARY KEY,
    slot_id INTEGER NOT NULL REFERENCES permanence_records(slot_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX permanence_attendance_slot ON permanence_attendance (slot_id);
CREATE INDEX permanence_attendance_user ON permanence_attendance (user_id);
