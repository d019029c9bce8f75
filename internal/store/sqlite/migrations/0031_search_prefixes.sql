-- Search terms are word prefixes ("ngap" finds "ngập"). Without a prefix
-- index FTS5 answers a prefix by merging the lists of every matching word
-- before the first row comes out, so a search cost grew with the number of
-- matching reports (issue 13: the slowest read in the load harness).
-- Prefix indexes of 2 to 6 letters (most Vietnamese syllables, folded, are
-- at most 6) let it walk one list, newest first, and stop at the page.
CREATE VIRTUAL TABLE reports_search_prefixed USING fts5(report_id UNINDEXED, body, tokenize = 'unicode61', prefix = '2 3 4 5 6');
INSERT INTO reports_search_prefixed (rowid, report_id, body) SELECT rowid, report_id, body FROM reports_search;
DROP TABLE reports_search;
ALTER TABLE reports_search_prefixed RENAME TO reports_search;
