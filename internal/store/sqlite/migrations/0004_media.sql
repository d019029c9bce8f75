-- Photo metadata; the bytes are files under the data folder's media/.
CREATE TABLE media (
    id           TEXT PRIMARY KEY,
    report_id    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    thumb_width  INTEGER NOT NULL,
    thumb_height INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    thumb_size   INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX media_report ON media (report_id, id);
