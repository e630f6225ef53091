-- !mes-donnees and !oublie-moi look a person up in every personal column: the
-- columns added since 0011 get their index too (partial where most rows have none).
CREATE INDEX permanence_records_recorded_by ON permanence_records (recorded_by);
CREATE INDEX training_needs_dane_answered_by ON training_needs (dane_answered_by)
    WHERE dane_answered_by IS NOT NULL;
CREATE INDEX answer_sheets_author ON answer_sheets (author);
CREATE INDEX answer_sheets_updated_by ON answer_sheets (updated_by);
CREATE INDEX surveys_opened_by ON surveys (opened_by) WHERE opened_by IS NOT NULL;
CREATE INDEX room_members_user ON room_members (user_id);
CREATE INDEX role_grants_user ON role_grants (user_id);
CREATE INDEX role_grants_granted_by ON role_grants (granted_by);
CREATE INDEX role_grants_revoked_by ON role_grants (revoked_by) WHERE revoked_by IS NOT NULL;
CREATE INDEX objectives_author ON objectives (author);
CREATE INDEX objectives_updated_by ON objectives (updated_by) WHERE updated_by IS NOT NULL;
CREATE INDEX training_polls_created_by ON training_polls (created_by);
CREATE INDEX permanence_series_opened_by ON permanence_series (opened_by);
