-- Someone who never joins their direct room and asks !mes-donnees again and again
-- kept every export waiting, and each new export held the earlier ones (6 MB at the
-- 8th request, 150 MB at the 10th). A message queued in a slot now replaces the one
-- still waiting in that slot for the same person: one export waits, the latest.
-- slot is NULL for every other message.
ALTER TABLE outbox ADD COLUMN slot TEXT;
CREATE INDEX outbox_waiting_slot ON outbox (dm_user, slot)
    WHERE slot IS NOT NULL AND sent_at IS NULL AND failed_at IS NULL;

-- !oublie-moi must leave no event id of the person behind: any member of the room
-- can tell who sent an event, and the time it was handled matches the anonymised
-- rows it wrote. The sender of a handled command is kept with it for that (personal
-- data, declared in storage/donnees.py, pruned with the row after 30 days); it is
-- NULL for the rows handled before.
ALTER TABLE handled_events ADD COLUMN sender TEXT;
CREATE INDEX handled_events_sender ON handled_events (sender) WHERE sender IS NOT NULL;
