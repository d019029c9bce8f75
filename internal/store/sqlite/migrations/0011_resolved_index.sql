-- The automatic close looks for reports resolved long enough ago.
CREATE INDEX reports_resolved ON reports (status, resolved_at);
