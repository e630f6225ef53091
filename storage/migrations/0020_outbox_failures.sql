-- A message the homeserver refuses for good (the bot removed or muted in the room, a
-- file too large) is no longer retried in front of everything queued after it: it is
-- marked failed, with why, and kept as long as sent messages (then pruned with them)
-- for !statut and rupn-bot check. failure_code is the Matrix errcode (or NOT_JOINED
-- when the bot is not in the room), failure the homeserver's own words.
ALTER TABLE outbox ADD COLUMN failed_at TEXT;
ALTER TABLE outbox ADD COLUMN failure_code TEXT;
ALTER TABLE outbox ADD COLUMN failure TEXT;

-- What waits to be sent is neither sent nor failed.
DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND failed_at IS NULL;
DROP INDEX outbox_waiting_direct;
CREATE INDEX outbox_waiting_direct ON outbox (dm_user, id)
    WHERE sent_at IS NULL AND failed_at IS NULL AND dm_user IS NOT NULL;
-- Pruning and the reports read the failed messages only.
CREATE INDEX outbox_failed ON outbox (failed_at) WHERE failed_at IS NOT NULL;
