-- Machine clients (issue 18): the key is stored only as the SHA-256 hash of
-- its secret part; during a rotation's overlap the previous hash too.
CREATE TABLE api_clients (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    scopes         TEXT NOT NULL,          -- JSON array
    rate_limit     INTEGER NOT NULL,
    key_hash       TEXT NOT NULL,
    prev_key_hash  TEXT NOT NULL DEFAULT '',
    prev_key_until TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    rotated_at     TEXT,
    revoked_at     TEXT,
    last_used_at   TEXT,
    webhook        TEXT                    -- JSON subscription, NULL when none
) WITHOUT ROWID;

-- Per-destination delivery state of the notification outbox: a row once a
-- destination got a notification (or refused it for good), so a retry after
-- another destination failed never sends it there again.
CREATE TABLE notification_deliveries (
    notification_id TEXT NOT NULL,
    destination     TEXT NOT NULL,
    at              TEXT NOT NULL,
    gave_up         INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (notification_id, destination)
) WITHOUT ROWID;
