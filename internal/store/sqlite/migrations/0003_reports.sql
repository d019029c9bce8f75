-- Field reports. The precision-7 geohash cell makes "nearby" a few index
-- reads; the index covers what a distance check needs.
CREATE TABLE reports (
    id                TEXT PRIMARY KEY,
    tracking_code     TEXT NOT NULL UNIQUE,
    reporter_id       TEXT NOT NULL,
    anonymous         INTEGER NOT NULL,
    contact_phone     TEXT NOT NULL DEFAULT '',
    category_code     TEXT NOT NULL,
    area_code         TEXT NOT NULL DEFAULT '',
    agency_code       TEXT NOT NULL,
    routing_rule      TEXT NOT NULL DEFAULT '',
    routing_reason    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(routing_reason)),
    title             TEXT NOT NULL DEFAULT '',
    description       TEXT NOT NULL,
    address           TEXT NOT NULL DEFAULT '',
    lat               REAL NOT NULL,
    lng               REAL NOT NULL,
    cell              TEXT NOT NULL,
    urgent            INTEGER NOT NULL,
    locale            TEXT NOT NULL,
    status            TEXT NOT NULL,
    dispatch_due      TEXT NOT NULL,
    response_due      TEXT NOT NULL,
    resolution_due    TEXT NOT NULL,
    client_created_at TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    version           INTEGER NOT NULL,
    support_count     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reports_reporter ON reports (reporter_id, id);
CREATE INDEX reports_nearby ON reports (cell, status, category_code, lat, lng, id);

-- Idempotency keys, per user.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

-- One row per person supporting a report.
CREATE TABLE report_supports (
    report_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (report_id, user_id)
) WITHOUT ROWID;
