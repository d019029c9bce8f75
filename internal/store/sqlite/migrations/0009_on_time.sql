-- When each handling step happened, to tell whether it was on time.
ALTER TABLE reports ADD COLUMN dispatched_at TEXT;
ALTER TABLE reports ADD COLUMN responded_at TEXT;
