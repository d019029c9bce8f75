-- The notification outbox: one row per party per report change, written in
-- the change's transaction; delivery state lives with it.
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    report_id       TEXT NOT NULL,
    tracking_code   TEXT NOT NULL,
    version         INTEGER NOT NULL,
    party           TEXT NOT NULL,
    user_id         TEXT NOT NULL DEFAULT '',
    agency_code     TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    from_status     TEXT NOT NULL,
    to_status       TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    at              TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    dead            INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
-- Only pending entries are indexed: the dispatcher's query reads just them.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE delivered_at IS NULL AND dead = 0;
