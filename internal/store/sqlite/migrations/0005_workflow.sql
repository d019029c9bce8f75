-- Handling: the answer, rejection, extension, and the history of every
-- change. An event's (report_id, version) is unique: inserting it is the
-- compare-and-swap that makes one of two concurrent changes lose.
ALTER TABLE reports ADD COLUMN answer TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN resolved_at TEXT;
ALTER TABLE reports ADD COLUMN reject_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN duplicate_of TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN extension TEXT;

CREATE TABLE report_events (
    report_id    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    action       TEXT NOT NULL,
    from_status  TEXT NOT NULL,
    to_status    TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_role   TEXT NOT NULL,
    agency_code  TEXT NOT NULL DEFAULT '',
    to_agency    TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    due_at       TEXT,
    duplicate_of TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    PRIMARY KEY (report_id, version)
) WITHOUT ROWID;
