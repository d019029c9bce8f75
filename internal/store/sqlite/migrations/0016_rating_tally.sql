-- Ratings tallied as they are written, so the satisfaction indicators read
-- a few rows per month instead of every rating: by month of creation in
-- the province's zone (+07:00), agency, area and score. Triggers keep the
-- tally in the rating's own transaction.
CREATE TABLE rating_tally (
    period      TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    area_code   TEXT NOT NULL,
    score       INTEGER NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (period, agency_code, area_code, score)
) WITHOUT ROWID;

INSERT INTO rating_tally (period, agency_code, area_code, score, n)
    SELECT strftime('%Y-%m', substr(created_at, 1, 19), '+7 hours'), agency_code, area_code, score, count(*)
    FROM ratings GROUP BY 1, 2, 3, 4;

CREATE TRIGGER ratings_tally_insert AFTER INSERT ON ratings BEGIN
    INSERT INTO rating_tally (period, agency_code, area_code, score, n)
        VALUES (strftime('%Y-%m', substr(NEW.created_at, 1, 19), '+7 hours'), NEW.agency_code, NEW.area_code, NEW.score, 1)
        ON CONFLICT (period, agency_code, area_code, score) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER ratings_tally_update AFTER UPDATE OF score, agency_code, area_code, created_at ON ratings BEGIN
    UPDATE rating_tally SET n = n - 1
        WHERE period = strftime('%Y-%m', substr(OLD.created_at, 1, 19), '+7 hours') AND agency_code = OLD.agency_code
          AND area_code = OLD.area_code AND score = OLD.score;
    INSERT INTO rating_tally (period, agency_code, area_code, score, n)
        VALUES (strftime('%Y-%m', substr(NEW.created_at, 1, 19), '+7 hours'), NEW.agency_code, NEW.area_code, NEW.score, 1)
        ON CONFLICT (period, agency_code, area_code, score) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER ratings_tally_delete AFTER DELETE ON ratings BEGIN
    UPDATE rating_tally SET n = n - 1
        WHERE period = strftime('%Y-%m', substr(OLD.created_at, 1, 19), '+7 hours') AND agency_code = OLD.agency_code
          AND area_code = OLD.area_code AND score = OLD.score;
END;
