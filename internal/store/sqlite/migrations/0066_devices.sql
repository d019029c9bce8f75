-- Push devices (issue 18, item 10): one row per provider token, held by the
-- account that registered it last; at most a few per account.
CREATE TABLE devices (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    platform   TEXT NOT NULL,
    token      TEXT NOT NULL UNIQUE,
    locale     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX devices_user ON devices (user_id, updated_at);
