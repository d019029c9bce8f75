package feedback

import (
	"context"
	"encoding/base64"
	"fmt"
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
	DueBefore    *time.Time // only reports whose next step is overdue at this time
	After        *QueueCursor
	Limit        int
}

// Encode makes an opaque cursor.
func (c QueueCursor) Encode() string {
	u := "0"
	if c.Urgent {
		u = "1"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(u + "|" + strconv.FormatInt(c.NextDue.UnixNano(), 10) + "|" + c.ID))
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
	ns, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil, bad
	}
	return &QueueCursor{Urgent: parts[0] == "1", NextDue: time.Unix(0, ns).UTC(), ID: parts[2]}, nil
}

// QueueInput is a queue request.
type QueueInput struct {
	AgencyCode   string
	Status       string
	CategoryCode string
	OverdueOnly  bool
	Cursor       string
	Limit        int
}

// Queue returns a page of an agency's work: officers and agency admins see
// their own agency's reports only, coordinators and admins every agency's
// (or one, with AgencyCode). Urgent first, then by the next deadline.
func (s *ReportService) Queue(ctx context.Context, p identity.Principal, in QueueInput) ([]Report, *QueueCursor, error) {
	if err := p.Require(identity.PermReportsHandle); err != nil {
		return nil, nil, err
	}
	f := QueueFilter{AgencyCode: in.AgencyCode, CategoryCode: in.CategoryCode, Limit: in.Limit}
	if !p.Can(identity.PermReportsAll) {
		if in.AgencyCode != "" && in.AgencyCode != p.AgencyCode {
			return nil, nil, identity.ErrForbidden()
		}
		f.AgencyCode = p.AgencyCode
	}
	if f.Limit < 1 || f.Limit > 100 {
		f.Limit = 20
	}
	switch Status(in.Status) {
	case "":
		f.Statuses = OpenStatuses
	case StatusSubmitted, StatusDispatched, StatusAccepted, StatusInProgress, StatusResolved, StatusClosed, StatusRejected:
		f.Statuses = []Status{Status(in.Status)}
	default:
		return nil, nil, apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"),
			fieldErr("status", "Trạng thái không tồn tại", fmt.Sprintf("is not a status (%q)", in.Status)))
	}
	if in.OverdueOnly {
		now := s.now()
		f.DueBefore = &now
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
