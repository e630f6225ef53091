-- Indexes found missing by `make bench` at the scale of an académie (430
-- establishments, a school year of data). Only indexes: harmless at any position.

-- A person's rows, by the column holding their Matrix ID. `!mes-donnees` reads
-- every such column (storage/privacy.py, export_user) and `!oublie-moi` counts
-- them, `!oublie-moi confirmer` rewrites them: without these, each of those
-- commands read the whole of every table below, 40 ms for one person among 430
-- establishments while the bot answered nobody else. The tables left out stay
-- small (a few rows per establishment and year); bookings have their index.
CREATE INDEX IF NOT EXISTS members_user ON members (user_id);
CREATE INDEX IF NOT EXISTS training_votes_voter ON training_votes (voter);
CREATE INDEX IF NOT EXISTS training_needs_author ON training_needs (author);
CREATE INDEX IF NOT EXISTS training_needs_closed_by
    ON training_needs (closed_by) WHERE closed_by IS NOT NULL;
CREATE INDEX IF NOT EXISTS training_sessions_planned_by ON training_sessions (planned_by);
CREATE INDEX IF NOT EXISTS incidents_reporter ON incidents (reporter);
CREATE INDEX IF NOT EXISTS incidents_resolved_by
    ON incidents (resolved_by) WHERE resolved_by IS NOT NULL;
CREATE INDEX IF NOT EXISTS survey_answers_user ON survey_answers (user_id);
CREATE INDEX IF NOT EXISTS veille_items_author ON veille_items (author);
CREATE INDEX IF NOT EXISTS objective_notes_author ON objective_notes (author);
CREATE INDEX IF NOT EXISTS permanence_slots_cancelled_by
    ON permanence_slots (cancelled_by) WHERE cancelled_by IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_dm_user ON outbox (dm_user) WHERE dm_user IS NOT NULL;
