-- One rating per report, by its reporter.
CREATE TABLE ratings (
    report_id   TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ratings_agency ON ratings (agency_code, created_at);
