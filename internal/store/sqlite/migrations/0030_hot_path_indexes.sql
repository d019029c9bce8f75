-- Every read the API accepts gets an index whose order is the page's order
-- (issue 13), so a page costs its size, never the number of matches: the
-- query-plan test (plan_test.go) fails on a sort or a full scan of reports.
--
-- Public feed, newest first by rowid (which every index carries last): one
-- index per equality filter and per pair of them; the status filter is an
-- equality only when one status is asked for (otherwise the five public
-- statuses are checked on the row, and most rows pass). reports_feed_area,
-- reports_feed_agency and reports_feed_category_area exist already.
CREATE INDEX reports_feed_category ON reports (category_code);
CREATE INDEX reports_feed_status ON reports (status);
CREATE INDEX reports_feed_category_agency ON reports (category_code, agency_code);
CREATE INDEX reports_feed_area_agency ON reports (area_code, agency_code);
CREATE INDEX reports_feed_category_status ON reports (category_code, status);
CREATE INDEX reports_feed_area_status ON reports (area_code, status);
CREATE INDEX reports_feed_agency_status ON reports (agency_code, status);

-- Work queues. Open reports (exactly those with a next deadline) in queue
-- order, per agency or for everyone, with or without a category: partial
-- indexes, so the many handled reports are never walked past.
CREATE INDEX reports_queue_open ON reports (agency_code, urgent DESC, next_due, id) WHERE next_due <> '';
CREATE INDEX reports_queue_open_category ON reports (agency_code, category_code, urgent DESC, next_due, id) WHERE next_due <> '';
CREATE INDEX reports_queue_open_all ON reports (urgent DESC, next_due, id) WHERE next_due <> '';
CREATE INDEX reports_queue_open_all_category ON reports (category_code, urgent DESC, next_due, id) WHERE next_due <> '';
-- One status asked for: per agency or for everyone, with or without a
-- category. The category ones replace the console's count indexes (they
-- hold the same columns, so counts still read them alone).
CREATE INDEX reports_queue_status ON reports (agency_code, status, urgent DESC, next_due, id);
CREATE INDEX reports_queue_status_category ON reports (agency_code, status, category_code, urgent DESC, next_due, id);
CREATE INDEX reports_queue_status_all ON reports (status, urgent DESC, next_due, id);
CREATE INDEX reports_queue_status_all_category ON reports (status, category_code, urgent DESC, next_due, id);
DROP INDEX reports_counts_agency;
DROP INDEX reports_counts_all;
-- Pending extension requests for every agency, in queue order.
CREATE INDEX reports_extension_pending_all ON reports (urgent DESC, next_due, id, status, category_code, agency_code)
    WHERE extension IS NOT NULL;
-- The open-with-category queue is served by the partial index above; the
-- full one served nothing else.
DROP INDEX reports_queue_category;
