-- The log of changes to reference data, newest first by id (ids are
-- time-ordered). before/after hold the entity as JSON, NULL when none.
CREATE TABLE reference_audit (
    id         TEXT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    kind       TEXT NOT NULL,
    code       TEXT NOT NULL,
    action     TEXT NOT NULL,
    before     TEXT CHECK (before IS NULL OR json_valid(before)),
    after      TEXT CHECK (after IS NULL OR json_valid(after))
) WITHOUT ROWID;
