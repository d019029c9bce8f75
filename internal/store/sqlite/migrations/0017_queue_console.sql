-- The staff console's queue: counts per status read from indexes alone
-- (one agency, or all), and the few reports with a pending extension
-- request found without walking the whole queue.
CREATE INDEX reports_counts_agency ON reports (agency_code, status, category_code, next_due);
CREATE INDEX reports_counts_all ON reports (status, category_code, next_due);
-- Pending extension requests are few: the partial index holds them in
-- queue order per agency and, with status and category, counts them alone.
CREATE INDEX reports_extension_pending ON reports (agency_code, urgent DESC, next_due, id, status, category_code)
    WHERE extension IS NOT NULL;
