-- Nearby candidates carry their status and reporter, read from this
-- covering index alone, so the public "already reported?" search decides
-- which reports to show (and which only as duplicate hints) before it
-- reads any report row: it reads the 20 it answers with, not 60 (issue 13).
DROP INDEX reports_nearby;
CREATE INDEX reports_nearby ON reports (cell, status, category_code, lat, lng, id, reporter_id);
