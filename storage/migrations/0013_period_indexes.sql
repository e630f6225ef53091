-- The digest and the activity report count each family's rows month by month
-- (!synthese: up to 10 months, !bilan: 12, for 8 figures). Stored times carry
-- their own offset (+01:00 or +02:00), so the queries compare julianday() values,
-- and without an index on that expression each count computed it for every row
-- of the establishment: 400 µs a month for the 8 figures, 140 µs with these.
-- SQLite uses an index on an expression when the query writes the same one.
CREATE INDEX IF NOT EXISTS veille_items_posted
    ON veille_items (establishment_id, julianday(posted_at));
CREATE INDEX IF NOT EXISTS incidents_reported
    ON incidents (establishment_id, julianday(reported_at));
CREATE INDEX IF NOT EXISTS training_needs_created
    ON training_needs (establishment_id, julianday(created_at));
CREATE INDEX IF NOT EXISTS training_sessions_starts
    ON training_sessions (establishment_id, julianday(starts_at));
