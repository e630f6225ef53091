-- The digest and the report count a survey's answers month by month; reminders
-- ask who answered before an instant. Both read one survey's answers in a time
-- range, which the primary key (survey_id, user_id) could only scan whole.
CREATE INDEX IF NOT EXISTS survey_answers_survey_at ON survey_answers (survey_id, answered_at);
