package feedback

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

// NextDue is the deadline of the step the report waits for: dispatch while
// submitted, the agency's response while dispatched, resolution while
// accepted or in progress. Handled reports wait for nothing (zero time).
func (r *Report) NextDue() time.Time {
	switch r.Status {
	case StatusSubmitted:
		return r.Deadlines.DispatchDue
	case StatusDispatched:
		return r.Deadlines.ResponseDue
	case StatusAccepted, StatusInProgress:
		return r.Deadlines.ResolutionDue
	}
	return time.Time{}
}

// QueueCursor is the position after the last report of a queue page, in the
// queue's order: urgent first, then by next due time, then by ID.
type QueueCursor struct {
	Urgent  bool
	NextDue time.Time
	ID      string
}

// QueueFilter selects a work queue.
type QueueFilter struct {
	AgencyCode   string // empty: every agency (coordinators)
	Statuses     []Status
	CategoryCode string
	TrackingCode string     // exact, upper case ("CM-7KQ4-X9TP")
	Terms        []string   // every term must prefix a word of the report (SearchTerms), as in the feed
	DueBefore    *time.Time // only reports whose next step is overdue at this time
	// ExtensionPending keeps only reports whose agency asked for more
	// time and was not yet answered.
	ExtensionPending bool
	After            *QueueCursor
	Limit            int
}

// Encode makes an opaque cursor.
func (c QueueCursor) Encode() string {
	u := "0"
	if c.Urgent {
		u = "1"
	}
	due := "" // handled reports wait for nothing; the zero time has no UnixNano
	if !c.NextDue.IsZero() {
		due = strconv.FormatInt(c.NextDue.UnixNano(), 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(u + "|" + due + "|" + c.ID))
}

// DecodeQueueCursor reads a cursor made by Encode.
func DecodeQueueCursor(s string) (*QueueCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := apperr.Invalid(i18n.T("Con trỏ trang không hợp lệ", "invalid cursor"), fieldErr("cursor", "Con trỏ trang không hợp lệ", "is not a valid cursor"))
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 || (parts[0] != "0" && parts[0] != "1") || !ids.Valid(parts[2]) {
		return nil, bad
	}
	out := &QueueCursor{Urgent: parts[0] == "1", ID: parts[2]}
	if parts[1] != "" {
		ns, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return nil, bad
		}
		out.NextDue = time.Unix(0, ns).UTC()
	}
	return out, nil
}

// QueueInput is a queue request.
type QueueInput struct {
	AgencyCode   string
	Status       string
	CategoryCode string
	// Q is a tracking code (found exactly, in any case) or else words
	// searched like the public feed's query.
	Q                string
	OverdueOnly      bool
	ExtensionPending bool
	Cursor           string
	Limit            int
}

// trackingCodePattern is the shape of a tracking code: NewTrackingCode's.
var trackingCodePattern = regexp.MustCompile(`^CM-[0-9A-Z]{4}-[0-9A-Z]{4}$`)

// AsTrackingCode returns q as a tracking code (trimmed, upper case) and
// true when it looks like one ("cm-7kq4-x9tp" does).
func AsTrackingCode(q string) (string, bool) {
	code := strings.ToUpper(strings.TrimSpace(q))
	return code, trackingCodePattern.MatchString(code)
}

// queueFilter checks who may read which queue and turns the request into the
// filter both Queue and QueueCounts use (no statuses, page or cursor).
func (s *ReportService) queueFilter(p identity.Principal, in QueueInput) (QueueFilter, error) {
	if err := p.Require(identity.PermReportsHandle); err != nil {
		return QueueFilter{}, err
	}
	f := QueueFilter{AgencyCode: in.AgencyCode, CategoryCode: in.CategoryCode, ExtensionPending: in.ExtensionPending}
	if !p.Can(identity.PermReportsAll) {
		if in.AgencyCode != "" && in.AgencyCode != p.AgencyCode {
			return QueueFilter{}, identity.ErrForbidden()
		}
		f.AgencyCode = p.AgencyCode
	}
	if code, ok := AsTrackingCode(in.Q); ok {
		f.TrackingCode = code
	} else {
		f.Terms = SearchTerms(in.Q)
	}
	if in.OverdueOnly {
		now := s.now()
		f.DueBefore = &now
	}
	return f, nil
}

// Queue returns a page of an agency's work: officers and agency admins see
// their own agency's reports only, coordinators and admins every agency's
// (or one, with AgencyCode). Urgent first, then by the next deadline.
func (s *ReportService) Queue(ctx context.Context, p identity.Principal, in QueueInput) ([]Report, *QueueCursor, error) {
	f, err := s.queueFilter(p, in)
	if err != nil {
		return nil, nil, err
	}
	f.Limit = in.Limit
	if f.Limit < 1 || f.Limit > 100 {
		f.Limit = 20
	}
	switch Status(in.Status) {
	case "":
		f.Statuses = OpenStatuses
		if f.TrackingCode != "" {
			f.Statuses = AllStatuses // a code names one report: found whatever its status
		}
	case StatusSubmitted, StatusDispatched, StatusAccepted, StatusInProgress, StatusResolved, StatusClosed, StatusRejected:
		f.Statuses = []Status{Status(in.Status)}
	default:
		return nil, nil, apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"),
			fieldErr("status", "Trạng thái không tồn tại", fmt.Sprintf("is not a status (%q)", in.Status)))
	}
	if in.OverdueOnly {
		f.Statuses = intersect(f.Statuses, OpenStatuses)
	}
	after, err := DecodeQueueCursor(in.Cursor)
	if err != nil {
		return nil, nil, err
	}
	f.After = after
	list, err := s.store.Queue(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	var next *QueueCursor
	if len(list) == f.Limit {
		last := list[len(list)-1]
		next = &QueueCursor{Urgent: last.Urgent, NextDue: last.NextDue().UTC(), ID: last.ID}
	}
	return list, next, nil
}

// AllStatuses lists every status, in handling order.
var AllStatuses = []Status{StatusSubmitted, StatusDispatched, StatusAccepted, StatusInProgress, StatusResolved, StatusClosed, StatusRejected}

// QueueCounts says how many reports of the caller's queue are in each
// status, every status present (0 when none): the queue's filters apply,
// but not its status, cursor or page size. Who may count what is as for
// Queue.
func (s *ReportService) QueueCounts(ctx context.Context, p identity.Principal, in QueueInput) (map[Status]int, error) {
	f, err := s.queueFilter(p, in)
	if err != nil {
		return nil, err
	}
	got, err := s.store.QueueCounts(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make(map[Status]int, len(AllStatuses))
	for _, st := range AllStatuses {
		out[st] = got[st]
	}
	return out, nil
}

func intersect(a, b []Status) []Status {
	var out []Status
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
			}
		}
	}
	return out
}
