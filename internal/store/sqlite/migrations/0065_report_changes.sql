-- Syncing by last change (issue 18, item 11): `updated_since` on the public
-- feed and on a reporter's own reports lists changes oldest first, keyed by
-- (updated_at, id), so each page walks its own rows of one of these indexes.
CREATE INDEX reports_changes ON reports (updated_at, id);
CREATE INDEX reports_reporter_changes ON reports (reporter_id, updated_at, id);
