-- The deadline of the step a report waits for, so work queues sort and
-- filter on an index. Empty for handled reports.
ALTER TABLE reports ADD COLUMN next_due TEXT NOT NULL DEFAULT '';
UPDATE reports SET next_due = CASE status
    WHEN 'submitted' THEN dispatch_due
    WHEN 'dispatched' THEN response_due
    WHEN 'accepted' THEN resolution_due
    WHEN 'in_progress' THEN resolution_due
    ELSE '' END;
CREATE INDEX reports_queue ON reports (agency_code, status, urgent, next_due, id);
