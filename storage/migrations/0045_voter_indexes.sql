-- !mes-donnees and !oublie-moi look a person up in every personal column. These two
-- were only reachable through a primary key that starts with another column, so each
-- lookup read the whole table (0.1 ms per query at 430 establishments, and growing).
CREATE INDEX training_poll_responses_voter ON training_poll_responses (voter);
CREATE INDEX survey_reminder_stops_user ON survey_reminder_stops (user_id);
