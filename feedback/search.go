package feedback

import (
	"context"
	"math"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// SearchText folds Vietnamese text for search: lowercase, tone and vowel
// marks dropped, đ as d, anything but letters and digits as a space. So
// "Ngập nước đường" and "ngap nuoc duong" fold alike.
func SearchText(s string) string {
	var b strings.Builder
	space := true
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// SearchBody is the folded text a report is found by: title, description
// and the agency's answer.
func (r *Report) SearchBody() string {
	return SearchText(r.Title + " " + r.Description + " " + r.Answer)
}

// SearchTerms folds a query into at most 8 terms of 1–40 characters.
func SearchTerms(q string) []string {
	var out []string
	for _, w := range strings.Fields(SearchText(q)) {
		if len(out) == 8 {
			break
		}
		if len(w) <= 40 {
			out = append(out, w)
		}
	}
	return out
}

// FeedFilter selects public reports.
type FeedFilter struct {
	Statuses     []Status
	CategoryCode string
	AreaCode     string
	AgencyCode   string
	BBox         *[4]float64 // min lng, min lat, max lng, max lat
	Since        *time.Time
	Terms        []string // every term must prefix a word of the report
	Cursor       string   // opaque, from the store's previous page
	Limit        int
}

// PublicStatuses are the statuses the public feed shows: taken up by the
// coordinator, not rejected.
var PublicStatuses = []Status{StatusDispatched, StatusAccepted, StatusInProgress, StatusResolved, StatusClosed}

// FeedInput is a public feed request.
type FeedInput struct {
	Status, CategoryCode, AreaCode, AgencyCode string
	BBox                                       *[4]float64
	Since                                      *time.Time
	Query                                      string
	Cursor                                     string
	Limit                                      int
	// Statuses, when set, keeps the public reports with one of them (the
	// others are ignored); Status narrows further.
	Statuses []Status
	// UpdatedSince, when set, lists the reports changed at or after it,
	// oldest change first (see ChangeCursor), instead of newest first.
	UpdatedSince *time.Time
}

// Feed returns the public feed: dispatched-or-later, not rejected, newest
// first, with optional filters and a search insensitive to case and
// Vietnamese diacritics. Anyone may read it; callers show no personal data.
func (s *ReportService) Feed(ctx context.Context, in FeedInput) ([]Report, string, error) {
	f := FeedFilter{CategoryCode: in.CategoryCode, AreaCode: in.AreaCode, AgencyCode: in.AgencyCode, BBox: in.BBox, Since: in.Since,
		Terms: SearchTerms(in.Query), Cursor: in.Cursor, Limit: in.Limit}
	if f.Limit < 1 || f.Limit > 100 {
		f.Limit = 20
	}
	f.Statuses = PublicStatuses
	if len(in.Statuses) > 0 {
		if f.Statuses = intersect(PublicStatuses, in.Statuses); len(f.Statuses) == 0 {
			return nil, "", nil
		}
	}
	if in.Status != "" {
		f.Statuses = intersect(PublicStatuses, []Status{Status(in.Status)})
		if len(f.Statuses) == 0 {
			return nil, "", apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"),
				fieldErr("status", "Chỉ các trạng thái công khai", "must be a public status: dispatched, accepted, in_progress, resolved or closed"))
		}
	}
	if b := f.BBox; b != nil && (b[0] > b[2] || b[1] > b[3] || math.Abs(b[1]) > 90 || math.Abs(b[3]) > 90 || math.Abs(b[0]) > 180 || math.Abs(b[2]) > 180) {
		return nil, "", apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"),
			fieldErr("bbox", "bbox = kinh độ nhỏ, vĩ độ nhỏ, kinh độ lớn, vĩ độ lớn", "must be min_lng,min_lat,max_lng,max_lat"))
	}
	if in.UpdatedSince != nil {
		return s.feedChanges(ctx, f, *in.UpdatedSince)
	}
	return s.store.Feed(ctx, f)
}
