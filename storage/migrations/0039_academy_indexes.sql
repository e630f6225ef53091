-- The academy's views read every establishment at once: whether each was active
-- this month is one seek per room, and the open needs by bassin and domain are
-- read from the index alone.
CREATE INDEX handled_events_by_room ON handled_events (room_id, handled_at);
CREATE INDEX training_needs_open_tags ON training_needs (status, establishment_id, tags);
