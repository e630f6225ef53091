-- Indexes found missing by `make bench` at the scale of an académie (430
-- establishments, a school year of data). Only indexes: harmless at any position.

-- Seats taken and waitlist of a slot (every listing counts them per slot), the
-- first person waiting, the people to remind: without it each count read every
-- booking of the académie.
CREATE INDEX IF NOT EXISTS permanence_bookings_slot ON permanence_bookings (slot_id, status);

-- An establishment's series (the calendar job reads them for every establishment).
CREATE INDEX IF NOT EXISTS permanence_series_establishment
    ON permanence_series (establishment_id, weekday, start_time);

-- Pruning sent messages after every flush read the whole outbox.
CREATE INDEX IF NOT EXISTS outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
