-- A message meant to alert someone (a reminder, a waitlist promotion, a cancelled
-- slot, a digest, any direct message the bot starts) is sent as m.text: the default
-- push rules suppress every m.notice before any mention or one-to-one rule, so a
-- notice never makes a phone ring. Replies to commands stay notices.
ALTER TABLE outbox ADD COLUMN alert INTEGER NOT NULL DEFAULT 0;
