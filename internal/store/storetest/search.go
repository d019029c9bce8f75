package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"camaug/feedback"
)

// testSearchWords: a term finds the reports where it starts a word
// (folded), however long the term or the word, and nothing where it only
// sits inside a word; several terms must all match. Both stores answer the
// same (the MongoDB store keeps word prefixes of up to 12 letters as
// tokens and checks longer terms on the text).
func testSearchWords(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	long := newReport("u1", camauCenter, "khac", feedback.StatusDispatched)
	long.Title, long.Description = "Biển quảng cáo", "Bảng hiệu khôngthểđọcđược ở chợ Phường 5"
	// IDs order by millisecond, then at random: a later millisecond makes
	// the second report's ID the greater, as its insertion is the later.
	time.Sleep(2 * time.Millisecond)
	short := newReport("u1", camauCenter, "khac", feedback.StatusDispatched)
	short.Title, short.Description = "Ổ gà", "Ổ gà lớn trước trường học, xe máy té ngã"
	for _, r := range []*feedback.Report{long, short} {
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string][]string{
		"khongthedoc":          {long.ID},           // 11 letters
		"khongthedocd":         {long.ID},           // 12
		"khongthedocduoc":      {long.ID},           // the whole 15-letter word
		"khongthedocduocx":     {},                  // longer than the word
		"khongthedocx":         {},                  // 12, no such word
		"thedoc":               {},                  // inside a word
		"k":                    {long.ID},           // one letter
		"o ga":                 {short.ID},          // two one-word terms
		"xe truong":            {short.ID},          // order does not matter
		"truong cho":           {},                  // each term must match
		"PHƯỜNG 5":             {long.ID},           // folded, a number
		"bien khongthedocduoc": {long.ID},           // a short and a long term
		"a":                    {},                  // no word starts with it
		"c":                    {long.ID},           // cáo, chợ
		"h":                    {long.ID, short.ID}, // hiệu; học: by ID, newest first
	} {
		list, _, err := s.Feed(ctx, feedback.FeedFilter{Statuses: feedback.PublicStatuses, Terms: feedback.SearchTerms(q), Limit: 10})
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if len(want) == 2 && want[0] < want[1] {
			want = []string{want[1], want[0]}
		}
		var got []string
		for _, r := range list {
			got = append(got, r.ID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("search %q: got %v, want %v", q, got, want)
		}
	}
}
