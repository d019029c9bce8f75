package feedback

import (
	"context"
	"strings"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// TrackStep is one step of a report's handling as the public track page
// shows it: when, what, and which agency; never who.
type TrackStep struct {
	At         time.Time
	Action     Action
	ToStatus   Status
	AgencyCode string // the agency that acted, when staff of an agency did
	ToAgency   string // where a dispatch or transfer sent it
}

// Tracking is what anyone holding a report's tracking code may read
// (ISSUE-NOTES §15): the status and its steps for any existing report;
// the content (description, place, answer, photos) only once the report is
// public; a rejected report's public reason. Never the reporter, their
// contact, the staff's names or internal notes.
type Tracking struct {
	TrackingCode string
	Status       Status
	CategoryCode string
	AgencyCode   string
	CreatedAt    time.Time
	Steps        []TrackStep
	// Public says the report is in the public feed: the fields below are
	// set only then.
	Public      bool
	Title       string
	Description string
	Address     string
	AreaCode    string
	Location    *Point
	Answer      string
	PhotoIDs    []string
	// RejectReason is set when the report was rejected: the reason the
	// coordinator gave the reporter.
	RejectReason string
}

// NormalizeTrackingCode upper-cases a typed code and restores its dashes
// ("cm7kq4x9tp" → "CM-7KQ4-X9TP"); it returns "" when the result cannot
// be a tracking code.
func NormalizeTrackingCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
		case r < 128 && (r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	c := b.String()
	if len(c) != 10 || !strings.HasPrefix(c, "CM") {
		return ""
	}
	for _, r := range c[2:] {
		if !strings.ContainsRune(trackingAlphabet, r) {
			return ""
		}
	}
	return c[:2] + "-" + c[2:6] + "-" + c[6:]
}

// allStatuses is every status, for a lookup that must find a report
// whatever its state.
var allStatuses = []Status{StatusSubmitted, StatusDispatched, StatusAccepted, StatusInProgress, StatusResolved, StatusClosed, StatusRejected}

// Track returns what the public may read of the report with the tracking
// code. Anyone may call it (the code is the secret the reporter holds);
// callers limit how often one address tries. An unknown or malformed code
// is ENOTFOUND.
func (s *ReportService) Track(ctx context.Context, code string) (*Tracking, error) {
	notFound := apperr.NotFound(i18n.T("Không tìm thấy phản ánh có mã này", "no report has this tracking code"))
	code = NormalizeTrackingCode(code)
	if code == "" {
		return nil, notFound
	}
	list, err := s.store.Queue(ctx, QueueFilter{Statuses: allStatuses, TrackingCode: code, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound
	}
	r := &list[0]
	events, err := s.store.History(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	t := &Tracking{TrackingCode: r.TrackingCode, Status: r.Status, CategoryCode: r.CategoryCode, CreatedAt: r.CreatedAt,
		Steps: make([]TrackStep, 0, len(events)+1)}
	if r.IsPublic() {
		t.AgencyCode = r.AgencyCode
	}
	t.Steps = append(t.Steps, TrackStep{At: r.CreatedAt, Action: ActSubmitted, ToStatus: StatusSubmitted})
	for _, e := range events {
		st := TrackStep{At: e.At, Action: e.Action, ToStatus: e.ToStatus, ToAgency: e.ToAgency}
		if e.ActorRole.IsStaff() && e.ActorID != SystemActorID {
			st.AgencyCode = e.AgencyCode
		}
		t.Steps = append(t.Steps, st)
	}
	switch {
	case r.IsPublic():
		t.Public = true
		t.Title, t.Description, t.Address, t.AreaCode, t.Answer = r.Title, r.Description, r.Address, r.AreaCode, r.Answer
		loc := r.Location
		t.Location = &loc
		photos, err := s.media.ListMedia(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range photos {
			t.PhotoIDs = append(t.PhotoIDs, m.ID)
		}
	case r.Status == StatusRejected:
		t.RejectReason = r.RejectReason
	}
	return t, nil
}

// ActSubmitted names the first step of a tracked report, its submission,
// which is no workflow action.
const ActSubmitted Action = "submit"
