-- A scheduled message queued in quiet hours (a digest due on a Sunday, a run caught
-- up at night after an outage) waits in the outbox until the establishment's
-- sending window opens: not_before, a UTC stamp; NULL goes at once.
ALTER TABLE outbox ADD COLUMN not_before TEXT;
