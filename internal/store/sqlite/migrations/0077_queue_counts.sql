-- The console's queue tabs count an agency's reports per status (issue 13):
-- counting the reports themselves costs as many index entries as the agency
-- has reports (100k+ at 1 M). report_counts holds those counts per agency,
-- category and status, kept by triggers in the writing transaction (single
-- inserts, the bulk path, transitions and re-routing alike), so a count
-- reads at most statuses × categories rows of this small table.
CREATE TABLE report_counts (
    agency_code   TEXT NOT NULL,
    category_code TEXT NOT NULL,
    status        TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (agency_code, category_code, status)
) WITHOUT ROWID;
-- Every agency's counts for one category.
CREATE INDEX report_counts_category ON report_counts (category_code, status, agency_code, n);

-- The existing reports, counted once.
INSERT INTO report_counts (agency_code, category_code, status, n)
    SELECT agency_code, category_code, status, count(*) FROM reports GROUP BY 1, 2, 3;

CREATE TRIGGER reports_counts_insert AFTER INSERT ON reports BEGIN
    INSERT INTO report_counts (agency_code, category_code, status, n)
        VALUES (NEW.agency_code, NEW.category_code, NEW.status, 1)
        ON CONFLICT (agency_code, category_code, status) DO UPDATE SET n = n + 1;
END;

-- The store's update writes agency and status on every change: only a
-- change of one of the three moves a count.
CREATE TRIGGER reports_counts_update AFTER UPDATE OF status, agency_code, category_code ON reports
    WHEN OLD.status IS NOT NEW.status OR OLD.agency_code IS NOT NEW.agency_code OR OLD.category_code IS NOT NEW.category_code
BEGIN
    UPDATE report_counts SET n = n - 1
        WHERE agency_code = OLD.agency_code AND category_code = OLD.category_code AND status = OLD.status;
    INSERT INTO report_counts (agency_code, category_code, status, n)
        VALUES (NEW.agency_code, NEW.category_code, NEW.status, 1)
        ON CONFLICT (agency_code, category_code, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER reports_counts_delete AFTER DELETE ON reports BEGIN
    UPDATE report_counts SET n = n - 1
        WHERE agency_code = OLD.agency_code AND category_code = OLD.category_code AND status = OLD.status;
END;
