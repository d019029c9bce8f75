package sqlite

import (
	"time"

	"camaug/feedback"
)

// changeShapes lists the statements of syncing by last change: the feed
// with each filter, and a reporter's own reports, each on a first and a
// later page.
func changeShapes() []queryShape {
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	after := &feedback.ChangeCursor{UpdatedAt: since.Add(time.Hour), ID: "01jq0000000000000000000000"}
	var out []queryShape
	for _, v := range []struct {
		name string
		set  func(*feedback.FeedFilter)
	}{
		{"", func(*feedback.FeedFilter) {}},
		{"category", func(f *feedback.FeedFilter) { f.CategoryCode = "cap-thoat-nuoc" }},
		{"area+agency", func(f *feedback.FeedFilter) { f.AreaCode = "phuong-an-xuyen"; f.AgencyCode = "cap-nuoc-ca-mau" }},
		{"status", func(f *feedback.FeedFilter) { f.Statuses = []feedback.Status{feedback.StatusAccepted} }},
		{"bbox+since", func(f *feedback.FeedFilter) { f.BBox = &[4]float64{105.1, 9.1, 105.2, 9.2}; f.Since = &since }},
	} {
		for _, a := range []*feedback.ChangeCursor{nil, after} {
			f := feedback.FeedFilter{Statuses: feedback.PublicStatuses, Limit: 20}
			v.set(&f)
			q, args := changesQuery(f, since, a)
			name := "feed changes " + v.name
			if a != nil {
				name += " page 2"
			}
			out = append(out, queryShape{name, q, args})
		}
	}
	for _, a := range []*feedback.ChangeCursor{nil, after} {
		q, args := reporterChangesQuery("u", since, a, 20)
		out = append(out, queryShape{"my changes", q, args})
	}
	return out
}
