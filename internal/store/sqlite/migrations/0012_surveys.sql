-- Surveys: questionnaires with their life, frozen versions, invitations,
-- anonymous responses and the counters the indicators are computed from.
-- No foreign keys: the MongoDB store cannot check them, and both stores
-- behave alike.

-- title, period and questionnaire are JSON: nothing queries inside them.
CREATE TABLE surveys (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    template          TEXT NOT NULL,
    title             TEXT NOT NULL CHECK (json_valid(title)),
    period            TEXT NOT NULL CHECK (json_valid(period)),
    status            TEXT NOT NULL,
    questionnaire     TEXT NOT NULL CHECK (json_valid(questionnaire)),
    version           INTEGER NOT NULL,
    published_version INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    revision          INTEGER NOT NULL -- compare-and-swap guard
);

CREATE TABLE survey_versions (
    survey_id     TEXT NOT NULL,
    number        INTEGER NOT NULL,
    questionnaire TEXT NOT NULL CHECK (json_valid(questionnaire)),
    published_at  TEXT NOT NULL,
    PRIMARY KEY (survey_id, number)
) WITHOUT ROWID;

-- Only the SHA-256 of a token is kept.
CREATE TABLE survey_invitations (
    token_hash  TEXT PRIMARY KEY,
    survey_id   TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    area_code   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    used_at     TEXT
);

-- A signed-in user's one answer per survey. Kept apart from the responses
-- and holding no time, and WITHOUT ROWID so that not even the insertion
-- order (a rowid) could link a participant to a response.
CREATE TABLE survey_participants (
    survey_id   TEXT NOT NULL,
    participant TEXT NOT NULL,
    PRIMARY KEY (survey_id, participant)
) WITHOUT ROWID;

CREATE TABLE survey_responses (
    id           TEXT PRIMARY KEY,
    survey_id    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    agency_code  TEXT NOT NULL,
    area_code    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    answers      TEXT NOT NULL CHECK (json_valid(answers)),
    submitted_at TEXT NOT NULL
);
CREATE INDEX survey_responses_survey ON survey_responses (survey_id, id);

-- The key starts with survey and month, so the counters of a survey over a
-- range of months are one range of the primary key; WITHOUT ROWID keeps
-- the rows in that order, with n beside the key.
CREATE TABLE survey_counts (
    survey_id   TEXT NOT NULL,
    period      TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    area_code   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (survey_id, period, agency_code, area_code, version, question, answer)
) WITHOUT ROWID;
