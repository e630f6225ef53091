-- The year's report (!bilan) and the digest count each establishment's rows month by
-- month. An establishment's rows are spread over the whole file, written day after day
-- among those of 430 others: a count that has to read each row's table page reads one
-- page per row. These indexes hold what those counts read, so a count reads a few
-- neighbouring index pages instead.
DROP INDEX training_needs_created;
CREATE INDEX training_needs_created
    ON training_needs (establishment_id, created_at, status, status_at, tags);
DROP INDEX incidents_reported;
CREATE INDEX incidents_reported
    ON incidents (establishment_id, reported_at, category, ticket_at, resolved_at);
CREATE INDEX incidents_with_ticket
    ON incidents (establishment_id, ticket_ref, reported_at, resolved_at);
DROP INDEX permanence_slots_upcoming;
CREATE INDEX permanence_slots_upcoming
    ON permanence_slots (establishment_id, starts_at, cancelled_at, capacity);
CREATE INDEX members_named
    ON members (establishment_id, display_name, user_id) WHERE display_name IS NOT NULL;
CREATE INDEX newsletters_sent ON newsletters (establishment_id, sent_at);
-- The letter's window starts at the last letter's as_of: one index step, not a year's rows.
CREATE INDEX newsletters_as_of ON newsletters (establishment_id, as_of);
