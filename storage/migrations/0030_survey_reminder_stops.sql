-- People who asked for no more reminders of one survey (« !enquete sans-rappel 1 »).
-- user_id is personal data (storage/donnees.py): exported, deleted when forgotten.
CREATE TABLE survey_reminder_stops (
    survey_id INTEGER NOT NULL REFERENCES surveys(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    stopped_at TEXT NOT NULL,
    PRIMARY KEY (survey_id, user_id)
);
