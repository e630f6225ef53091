-- Every outbox flush asks which people have direct messages waiting. The index on
-- dm_user listed every direct message ever kept (30 days of digests and
-- reminders) and read each row for its sent_at; this one lists the waiting ones.
CREATE INDEX IF NOT EXISTS outbox_waiting_direct ON outbox (dm_user, id)
    WHERE sent_at IS NULL AND dm_user IS NOT NULL;
