-- Survey counters packed into buckets: one row per survey, month, agency,
-- area and version holding all of that slice's counters, instead of one row
-- per counter. An indicator reads a year of a survey as a few hundred rows
-- whatever the number of responses, and a submission rewrites one row.
--
-- counts holds one line per counter, "question<TAB>answer<TAB>n<LF>",
-- sorted by question then answer (bytewise); a backslash, tab or newline
-- inside a question or answer is written \\, \t or \n. Counters with n 0
-- are left out.
--
-- The key starts with survey and month, so a survey's buckets over a range
-- of months are one range of the key's index. The table keeps its rowid:
-- a bucket is a few KB, and in a WITHOUT ROWID table (an index b-tree,
-- about 1 KB of a row kept in its page) each row would spill into an
-- overflow page that SQLite reads with a system call of its own: reading a
-- year of buckets took twice as long.
CREATE TABLE survey_buckets (
    survey_id   TEXT NOT NULL,
    period      TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    area_code   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    counts      TEXT NOT NULL,
    PRIMARY KEY (survey_id, period, agency_code, area_code, version)
);

INSERT INTO survey_buckets (survey_id, period, agency_code, area_code, version, counts)
SELECT survey_id, period, agency_code, area_code, version,
       group_concat(
           replace(replace(replace(question, '\', '\\'), char(9), '\t'), char(10), '\n') || char(9) ||
           replace(replace(replace(answer, '\', '\\'), char(9), '\t'), char(10), '\n') || char(9) ||
           n || char(10),
           '' ORDER BY question, answer)
FROM survey_counts
WHERE n != 0
GROUP BY survey_id, period, agency_code, area_code, version;

DROP TABLE survey_counts;
