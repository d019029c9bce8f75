-- The handling figures read reports by creation time; ratings are tallied
-- by creation time and carry the report's area for the satisfaction
-- indicators.
CREATE INDEX reports_created ON reports (created_at);
ALTER TABLE ratings ADD COLUMN area_code TEXT NOT NULL DEFAULT '';
UPDATE ratings SET area_code = COALESCE((SELECT area_code FROM reports WHERE reports.id = ratings.report_id), '');
CREATE INDEX ratings_created ON ratings (created_at);
