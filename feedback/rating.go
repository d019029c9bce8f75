package feedback

import (
	"context"
	"sort"
	"time"
	"unicode/utf8"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// RatingEditWindow is how long a reporter may change their rating.
const RatingEditWindow = 7 * 24 * time.Hour

// Rating is the reporter's judgement of the answer; it feeds the
// field-report satisfaction indicator (ReportSatisfaction), and the
// "handling of feedback" element of surveys of the 2017 SIPAS model.
type Rating struct {
	ReportID   string
	UserID     string
	AgencyCode string // the agency that answered
	AreaCode   string // the report's area
	Score      int    // 1–5
	Comment    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// RatingStore keeps ratings, one per report.
type RatingStore interface {
	// GetRating returns ENOTFOUND when the report is not rated.
	GetRating(ctx context.Context, reportID string) (Rating, error)
	// PutRating stores or replaces the report's rating.
	PutRating(ctx context.Context, r Rating) error
	// RatingCounts returns the tally of the ratings created in the months
	// fromPeriod..toPeriod (inclusive, "2006-01", province zone) by agency,
	// area, month and score. Stores keep the tally as ratings are written.
	RatingCounts(ctx context.Context, fromPeriod, toPeriod string) ([]RatingCount, error)
}

// RatingCount is how many ratings of one score the reports of an area got
// for the answers of an agency, in a month ("2006-01", province zone, by
// the rating's creation time).
type RatingCount struct {
	AgencyCode string
	AreaCode   string
	Period     string
	Score      int
	N          int64
}

// TallyRatings groups ratings into RatingCounts by agency, area, month of
// creation in loc and score, in a stable order.
func TallyRatings(rs []Rating, loc *time.Location) []RatingCount {
	idx := map[RatingCount]int64{}
	for _, r := range rs {
		idx[RatingCount{AgencyCode: r.AgencyCode, AreaCode: r.AreaCode, Period: r.CreatedAt.In(loc).Format("2006-01"), Score: r.Score}]++
	}
	out := make([]RatingCount, 0, len(idx))
	for k, n := range idx {
		k.N = n
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.AgencyCode != b.AgencyCode {
			return a.AgencyCode < b.AgencyCode
		}
		if a.AreaCode != b.AreaCode {
			return a.AreaCode < b.AreaCode
		}
		if a.Period != b.Period {
			return a.Period < b.Period
		}
		return a.Score < b.Score
	})
	return out
}

// Overdue says which deadlines a report has missed so far.
type Overdue struct {
	Dispatch   bool `json:"dispatch"`
	Response   bool `json:"response"`
	Resolution bool `json:"resolution"`
}

// OverdueAt reports which deadlines r has passed at now without the step
// being done: dispatch while still submitted, response while dispatched but
// not taken up, resolution while not yet resolved.
func (r *Report) OverdueAt(now time.Time) Overdue {
	var o Overdue
	switch r.Status {
	case StatusSubmitted:
		o.Dispatch = now.After(r.Deadlines.DispatchDue)
		o.Response = now.After(r.Deadlines.ResponseDue)
		o.Resolution = now.After(r.Deadlines.ResolutionDue)
	case StatusDispatched:
		o.Response = now.After(r.Deadlines.ResponseDue)
		o.Resolution = now.After(r.Deadlines.ResolutionDue)
	case StatusAccepted, StatusInProgress:
		o.Resolution = now.After(r.Deadlines.ResolutionDue)
	}
	return o
}

// Now is the service's clock.
func (s *ReportService) Now() time.Time { return s.now() }

// CheckRating lists what is wrong with a rating's score and comment.
func CheckRating(score int, comment string) []apperr.FieldError {
	var fs []apperr.FieldError
	if score < 1 || score > 5 {
		fs = append(fs, fieldErr("score", "Điểm từ 1 đến 5", "must be 1 to 5"))
	}
	if utf8.RuneCountInString(clean(comment)) > 2000 {
		fs = append(fs, fieldErr("comment", "Tối đa 2000 ký tự", "must be at most 2000 characters"))
	}
	return fs
}

// Rate records the reporter's score (1–5) and comment on a resolved report.
// It may be changed for 7 days; the first rating closes the report.
func (s *ReportService) Rate(ctx context.Context, p identity.Principal, id string, score int, comment string) (Rating, error) {
	if p.IsAnonymous() {
		return Rating{}, identity.ErrUnauthenticated()
	}
	r, _, err := s.Get(ctx, p, id)
	if err != nil {
		return Rating{}, err
	}
	if r.ReporterID != p.UserID {
		return Rating{}, identity.ErrForbidden()
	}
	comment = clean(comment)
	if fs := CheckRating(score, comment); len(fs) > 0 {
		return Rating{}, apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fs...)
	}
	if r.Status != StatusResolved && r.Status != StatusClosed {
		return Rating{}, apperr.ConflictOf(apperr.KindState, i18n.T("Chỉ đánh giá sau khi phản ánh đã được xử lý", "a report can be rated once it is resolved"))
	}
	now := s.now().UTC()
	rating := Rating{ReportID: r.ID, UserID: p.UserID, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode, Score: score, Comment: comment, CreatedAt: now, UpdatedAt: now}
	prev, err := s.ratings.GetRating(ctx, r.ID)
	switch apperr.CodeOf(err) {
	case "":
		if now.Sub(prev.CreatedAt) > RatingEditWindow {
			return Rating{}, apperr.ConflictOf(apperr.KindLimit, i18n.T("Đã quá 7 ngày, không thể sửa đánh giá", "the rating can no longer be changed (7 days)"))
		}
		rating.CreatedAt = prev.CreatedAt
	case apperr.ENOTFOUND:
	default:
		return Rating{}, err
	}
	if err := s.ratings.PutRating(ctx, rating); err != nil {
		return Rating{}, err
	}
	if r.Status == StatusResolved {
		ref, err := s.ref.Snapshot(ctx)
		if err != nil {
			return rating, err
		}
		if next, ev, err := Apply(systemPrincipal, r, TransitionInput{Action: ActClose, Note: "đóng sau khi người phản ánh đánh giá"}, s.now(), ref); err == nil {
			if err := s.store.Transition(ctx, next, ev); err != nil && apperr.CodeOf(err) != apperr.ECONFLICT {
				return rating, err
			}
		}
	}
	return rating, nil
}

// OnTime says, for each step already taken, whether it met its deadline;
// nil where the step has not happened.
type OnTime struct {
	Dispatch   *bool `json:"dispatch"`
	Response   *bool `json:"response"`
	Resolution *bool `json:"resolution"`
}

// OnTime compares when each step happened with its deadline.
func (r *Report) OnTime() OnTime {
	check := func(done *time.Time, due time.Time) *bool {
		if done == nil {
			return nil
		}
		ok := !done.After(due)
		return &ok
	}
	return OnTime{Dispatch: check(r.DispatchedAt, r.Deadlines.DispatchDue), Response: check(r.RespondedAt, r.Deadlines.ResponseDue),
		Resolution: check(r.ResolvedAt, r.Deadlines.ResolutionDue)}
}

// CloseResolved closes, as the system, the reports resolved more than
// the calendar's AutoCloseAfter ago and returns how many it closed. A report changed
// meanwhile (reopened, rated) is skipped: its compare-and-swap fails.
func (s *ReportService) CloseResolved(ctx context.Context) (int, error) {
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	closed := 0
	for {
		now := s.now()
		batch, err := s.store.ResolvedBefore(ctx, now.Add(-ref.Calendar.AutoCloseAfter()), 100)
		if err != nil || len(batch) == 0 {
			return closed, err
		}
		progress := false
		for i := range batch {
			next, ev, err := Apply(systemPrincipal, &batch[i], TransitionInput{Action: ActClose,
				Note: "tự động đóng sau 7 ngày kể từ khi có kết quả xử lý"}, now, ref)
			if err != nil {
				continue
			}
			switch err := s.store.Transition(ctx, next, ev); apperr.CodeOf(err) {
			case "":
				closed++
				progress = true
			case apperr.ECONFLICT:
			default:
				return closed, err
			}
		}
		if !progress {
			return closed, nil
		}
	}
}
