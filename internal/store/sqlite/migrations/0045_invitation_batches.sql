-- Invitation batches are counted per survey (issued and used so far) on the
-- survey administration page: an index that covers the count.
CREATE INDEX survey_invitations_batches ON survey_invitations (survey_id, created_at, agency_code, area_code, used_at);
