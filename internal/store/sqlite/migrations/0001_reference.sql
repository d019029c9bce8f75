-- Reference data: one row per entity, the entity as JSON. The set is small
-- (hundreds of rows) and always read whole or by code.
CREATE TABLE reference_entities (
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    doc  TEXT NOT NULL CHECK (json_valid(doc)),
    PRIMARY KEY (kind, code)
) WITHOUT ROWID;
