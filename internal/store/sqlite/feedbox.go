package sqlite

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"camaug/feedback"
	"camaug/internal/apperr"
)

// The feed in a map box.
//
// The feed walks its reports newest first and checks each against the box,
// so a page costs the rows walked until it is full: a few where the box
// holds many reports (the city), every report of the province where it
// holds fewer than a page (a rural commune on the map). So a feed with a
// box, and no search, runs in up to two bounded steps before the walk:
//
//  1. the walk, over the newest boxWindow rows below the cursor only: where
//     the box is dense (and no backlog of reports waiting for review fills
//     those rows) it fills the page there;
//  2. otherwise the box holds less than one report in boxWindow/Limit, and
//     the reports in it are found by place: the precision-7 geohash cells
//     under a few coarser cells that cover the box are ranges of the
//     covering index reports_nearby (cell, status, category_code, lat, lng,
//     id, reporter_id). If those ranges hold at most boxProbeMax entries
//     (counted on the index, up to that bound), they are read for the
//     status, category and box without touching a report row, the matches
//     sorted newest first here, and their rows read a chunk at a time for
//     the filters the index lacks (area, agency, since) until the page is
//     full.
//
// A cover holding more (a box in the city, behind a backlog of reports
// waiting for review that fills the window) goes to the merge of the
// statuses' walks (feedmerge.go), each checking its rows against the box,
// which a full box fills soon; a shape the merge does not serve, to the
// plain walk. A page costs at most boxWindow rows, or 2 × boxProbeMax index
// entries, or the merge's walks, whatever the store's size.
var (
	boxWindow   int64 = 512
	boxProbeMax       = 5000
	boxCells          = 12 // cells covering a box, at most: index ranges per probe
	boxChunk          = 64 // rows read at a time in step 2
)

// boxPlans counts the pages each step served, for tests.
var boxPlans struct{ window, place, walk atomic.Int64 }

// feedInBox serves a feed with a box by steps 1 and 2; done is false when
// neither could, and the caller walks.
func (s *ReportStore) feedInBox(ctx context.Context, f feedback.FeedFilter) (page []feedback.Report, next string, done bool, err error) {
	before, err := s.pageStart(ctx, f)
	if err != nil {
		return nil, "", true, err
	}
	low := before - boxWindow
	if low <= 1 {
		// The window is every row below the cursor: the walk is bounded.
		boxPlans.window.Add(1)
		out, next, err := s.feedWalk(ctx, f, 0)
		return out, next, true, err
	}
	out, next, err := s.feedWalk(ctx, f, low)
	if err != nil || len(out) == f.Limit {
		boxPlans.window.Add(1)
		return out, next, true, err
	}
	cells := feedback.CoverBox(*f.BBox, 7, boxCells)
	if cells == nil {
		boxPlans.walk.Add(1)
		return nil, "", false, nil
	}
	// How full the cells are, counted on the index up to the bound: a full
	// cover is listed faster by the statuses' walks, which find a page of
	// it soon, than by reading all of it here.
	if full, err := s.coverFull(ctx, cells, before); err != nil || full {
		if full {
			boxPlans.walk.Add(1)
		}
		return nil, "", err != nil, err
	}
	rowids, complete, err := s.boxProbe(ctx, f, cells, before)
	if err != nil {
		return nil, "", true, err
	}
	if !complete {
		boxPlans.walk.Add(1)
		return nil, "", false, nil
	}
	boxPlans.place.Add(1)
	out, last, err := s.boxRows(ctx, f, rowids)
	if err != nil {
		return nil, "", true, err
	}
	return out, feedCursor(len(out), f.Limit, last), true, nil
}

// coverFull reports whether the cells hold more than boxProbeMax reports
// below before (any status, category or place within them): counted on the
// index, at most boxProbeMax+1 entries read.
func (s *ReportStore) coverFull(ctx context.Context, cells []string, before int64) (bool, error) {
	if len(cells) == 0 {
		return false, nil
	}
	q, args := coverCountQuery(cells, before)
	var n int
	if err := s.db.read.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return false, apperr.Internal(err)
	}
	return n > boxProbeMax, nil
}

// coverCountQuery is coverFull's statement.
func coverCountQuery(cells []string, before int64) (string, []any) {
	parts := make([]string, 0, len(cells))
	args := make([]any, 0, 3*len(cells)+1)
	for _, c := range cells {
		parts = append(parts, `SELECT 1 FROM reports INDEXED BY reports_nearby WHERE cell >= ? AND cell < ? AND rowid < ?`)
		args = append(args, c, c+"~", before)
	}
	return `SELECT count(*) FROM (` + strings.Join(parts, ` UNION ALL `) + ` LIMIT ?)`, append(args, boxProbeMax+1)
}

// boxProbe returns the rowids below before of reports in the cells that
// match the feed's status, category and box, newest first; complete is
// false when there are more than boxProbeMax.
func (s *ReportStore) boxProbe(ctx context.Context, f feedback.FeedFilter, cells []string, before int64) ([]int64, bool, error) {
	if len(cells) == 0 {
		return nil, true, nil
	}
	q, args := boxProbeQuery(f, cells, before)
	out, err := s.readRowids(ctx, nil, q, args)
	if err != nil {
		return nil, false, err
	}
	if len(out) > boxProbeMax {
		return nil, false, nil
	}
	slices.SortFunc(out, func(a, b int64) int { return cmp.Compare(b, a) })
	return out, true, nil
}

// boxProbeQuery is boxProbe's statement: one range of reports_nearby per
// cell, each read from the index alone (the query-plan test checks it).
func boxProbeQuery(f feedback.FeedFilter, cells []string, before int64) (string, []any) {
	var parts []string
	var args []any
	b := *f.BBox
	for _, c := range cells {
		part := `SELECT rowid FROM reports INDEXED BY reports_nearby WHERE cell >= ? AND cell < ? AND status IN (` +
			placeholders(len(f.Statuses)) + `)`
		// "~" sorts after every geohash letter: [c, c~) is every cell under c.
		args = append(args, c, c+"~")
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
		if f.CategoryCode != "" {
			part += ` AND category_code = ?`
			args = append(args, f.CategoryCode)
		}
		part += ` AND lat BETWEEN ? AND ? AND lng BETWEEN ? AND ? AND rowid < ?`
		args = append(args, b[1], b[3], b[0], b[2], before)
		parts = append(parts, part)
	}
	args = append(args, boxProbeMax+1)
	return `SELECT rowid FROM (` + strings.Join(parts, ` UNION ALL `) + `) LIMIT ?`, args
}

// boxRows reads the rows of rowids (newest first) a chunk at a time, keeps
// those that pass the filters (the probe's again, and those it could not
// check), and stops at a
// full page; last is the rowid of the page's last report.
func (s *ReportStore) boxRows(ctx context.Context, f feedback.FeedFilter, rowids []int64) ([]feedback.Report, int64, error) {
	out := make([]feedback.Report, 0, min(max(f.Limit, 0), 100))
	var last int64
	for start := 0; start < len(rowids) && len(out) < f.Limit; start += boxChunk {
		chunk := rowids[start:min(start+boxChunk, len(rowids))]
		// The status again: the index said so a moment ago, but a report
		// that left the feed's statuses since must not be shown.
		q := `SELECT r.rowid, ` + reportColumnsR + ` FROM reports r WHERE r.rowid IN (` + placeholders(len(chunk)) + `) AND r.status IN (` +
			placeholders(len(f.Statuses)) + `)`
		args := make([]any, 0, len(chunk)+len(f.Statuses)+3)
		for _, id := range chunk {
			args = append(args, id)
		}
		for _, st := range f.Statuses {
			args = append(args, string(st))
		}
		for _, c := range []struct{ col, v string }{{"area_code", f.AreaCode}, {"agency_code", f.AgencyCode}} {
			if c.v != "" {
				q += ` AND r.` + c.col + ` = ?`
				args = append(args, c.v)
			}
		}
		if f.Since != nil {
			q += ` AND r.created_at >= ?`
			args = append(args, ts(*f.Since))
		}
		found, err := s.rowsByRowid(ctx, q, args)
		if err != nil {
			return nil, 0, err
		}
		for _, id := range chunk { // newest first, as the probe sorted them
			r, ok := found[id]
			if !ok {
				continue
			}
			out = append(out, r)
			last = id
			if len(out) == f.Limit {
				break
			}
		}
	}
	return out, last, nil
}

// rowsByRowid runs a statement whose first column is the rowid, then a
// report's columns.
func (s *ReportStore) rowsByRowid(ctx context.Context, q string, args []any) (map[int64]feedback.Report, error) {
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	found := map[int64]feedback.Report{}
	for rows.Next() {
		var id int64
		var r feedback.Report
		if err := scanReportInto(rowidScanner{rows, &id}, &r); err != nil {
			return nil, apperr.Internal(err)
		}
		found[id] = r
	}
	return found, apperr.InternalOrNil(rows.Err())
}

// readRowids appends to out the rowids a statement returns.
func (s *ReportStore) readRowids(ctx context.Context, out []int64, q string, args []any) ([]int64, error) {
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, id)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// pageStart is the rowid a page of f starts below: its cursor's, or one
// past the newest report.
func (s *ReportStore) pageStart(ctx context.Context, f feedback.FeedFilter) (int64, error) {
	before, err := feedBefore(f)
	if err != nil || before != math.MaxInt64 {
		return before, err
	}
	var top int64
	if err := s.db.read.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM reports`).Scan(&top); err != nil {
		return 0, apperr.Internal(err)
	}
	return top + 1, nil
}
