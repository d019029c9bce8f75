-- Full-text search over the public feed. The store writes the folded text
-- (lowercase, no diacritics, đ as d: feedback.SearchText), so "ngap nuoc"
-- finds "Ngập nước". A search row's rowid is its report's rowid.
CREATE VIRTUAL TABLE reports_search USING fts5(report_id UNINDEXED, body, tokenize = 'unicode61');
