package sqlite

import (
	"cmp"
	"context"
	"slices"
	"sync/atomic"

	"camaug/feedback"
)

// The public feed past a backlog.
//
// The public feed lists five statuses out of seven. Its walk, newest first
// along the index of its filter (or the table), skips every report it may
// not show, so a page costs the submitted reports still waiting for review
// above it: after a storm, thousands of them, read on every request. So a
// feed of several statuses, with no filter or one of category, area or
// agency (and no search or since, which have plans of their own),
// first walks only the newest mergeWindow rows below its cursor; when that
// does not fill the page it reads, for each status, the newest Limit
// rowids from the (filter, status) index (index entries only), merges them
// newest first here and reads those reports: at most statuses × Limit
// index entries and Limit rows, whatever lies above them. A map box too
// full for the plan by place (feedbox.go) comes here too: each status's
// walk then checks its rows against the box.
//
// The window is small: in steady state most of the newest rows are public
// (84% in the load harness), so 64 rows fill a page of 20 and a page
// behind a backlog goes to the merge after 64 rows, not 512 (the walk over
// 512 was 45% of such a page's time, issue 13).
var mergeWindow int64 = 64

// mergePlans counts the pages each step served, for tests.
var mergePlans struct{ window, merge atomic.Int64 }

// mergeIndex names the (filter, status) index for f's equality filters,
// "" when f is not a shape the merge serves.
func mergeIndex(f feedback.FeedFilter) string {
	if len(f.Terms) > 0 || f.Since != nil || len(f.Statuses) < 2 {
		return ""
	}
	switch {
	case f.CategoryCode == "" && f.AreaCode == "" && f.AgencyCode == "":
		return "reports_feed_status"
	case f.AreaCode == "" && f.AgencyCode == "":
		return "reports_feed_category_status"
	case f.CategoryCode == "" && f.AgencyCode == "":
		return "reports_feed_area_status"
	case f.CategoryCode == "" && f.AreaCode == "":
		return "reports_feed_agency_status"
	}
	return ""
}

// feedMerged serves f by the window, then the merge; done is false when f
// is not a shape they serve.
// With skipWindow, the caller has walked the newest rows already.
func (s *ReportStore) feedMerged(ctx context.Context, f feedback.FeedFilter, skipWindow bool) (page []feedback.Report, next string, done bool, err error) {
	ix := mergeIndex(f)
	if ix == "" {
		return nil, "", false, nil
	}
	before, err := s.pageStart(ctx, f)
	if err != nil {
		return nil, "", true, err
	}
	if low := before - mergeWindow; low > 1 && !skipWindow {
		out, next, err := s.feedWalk(ctx, f, low)
		if err != nil || len(out) == f.Limit {
			mergePlans.window.Add(1)
			return out, next, true, err
		}
	}
	mergePlans.merge.Add(1)
	// Closed first (most of the public feed once the service has run a
	// while): once a page of rowids is found, each next status reads only
	// rows newer than the page's oldest, so the walks stay within the
	// page's span of rowids.
	var rowids []int64
	for i := len(f.Statuses) - 1; i >= 0; i-- {
		var after int64
		if len(rowids) >= f.Limit {
			after = rowids[f.Limit-1]
		}
		q, args := mergeQuery(ix, f, f.Statuses[i], before, after)
		if rowids, err = s.readRowids(ctx, rowids, q, args); err != nil {
			return nil, "", true, err
		}
		slices.SortFunc(rowids, func(a, b int64) int { return cmp.Compare(b, a) })
		rowids = rowids[:min(len(rowids), max(f.Limit, 0))]
	}
	out, _, err := s.boxRows(ctx, f, rowids)
	if err != nil || len(rowids) == 0 {
		return out, "", true, err
	}
	// The cursor follows the rowids read, not the rows kept: one that left
	// the statuses meanwhile shortens this page, not the feed.
	return out, feedCursor(len(rowids), f.Limit, rowids[len(rowids)-1]), true, nil
}

// mergeQuery reads one status's newest rowids below before (and above
// after, when not 0) from the index ix, index entries only unless f has a
// box (the query-plan test checks it).
func mergeQuery(ix string, f feedback.FeedFilter, st feedback.Status, before, after int64) (string, []any) {
	q := `SELECT rowid FROM reports INDEXED BY ` + ix + ` WHERE status = ?`
	args := []any{string(st)}
	for _, c := range []struct{ col, v string }{{"category_code", f.CategoryCode}, {"area_code", f.AreaCode}, {"agency_code", f.AgencyCode}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if b := f.BBox; b != nil {
		// A box the plan by place found too full to list (feedbox.go):
		// the index walk checks each row of the status against it, and a
		// full box fills the page soon.
		q += ` AND lat BETWEEN ? AND ? AND lng BETWEEN ? AND ?`
		args = append(args, b[1], b[3], b[0], b[2])
	}
	if after > 0 {
		q += ` AND rowid > ?`
		args = append(args, after)
	}
	return q + ` AND rowid < ? ORDER BY rowid DESC LIMIT ?`, append(args, before, f.Limit)
}
