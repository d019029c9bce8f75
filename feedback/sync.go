package feedback

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// ChangeCursor is where a page of changes stopped: the last report's
// UpdatedAt and ID. Changes are listed in that order, oldest first, so an
// app that keeps the last item's updated_at syncs by asking for what
// changed since.
type ChangeCursor struct {
	UpdatedAt time.Time
	ID        string
}

// ChangeStore lists reports by their last change, for apps that sync.
type ChangeStore interface {
	// FeedChanges returns the reports matching f (its Terms and Cursor
	// unused) whose UpdatedAt is at or after since, in (UpdatedAt, ID)
	// order, after the cursor when it is set, at most f.Limit.
	FeedChanges(ctx context.Context, f FeedFilter, since time.Time, after *ChangeCursor) ([]Report, error)
	// ReporterChanges returns the reporter's reports, whatever their
	// status, likewise.
	ReporterChanges(ctx context.Context, reporterID string, since time.Time, after *ChangeCursor, limit int) ([]Report, error)
}

// EncodeChangeCursor returns the opaque cursor after r.
func EncodeChangeCursor(r *Report) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + r.UpdatedAt.UTC().Format(time.RFC3339Nano) + "|" + r.ID))
}

// DecodeChangeCursor reads a cursor made by EncodeChangeCursor; nil for "".
// Returns EINVALID naming the cursor parameter otherwise.
func DecodeChangeCursor(s string) (*ChangeCursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := apperr.Invalid(i18n.T("Con trỏ trang không hợp lệ", "invalid cursor"),
		apperr.FieldError{Field: "cursor", Message: i18n.T("Con trỏ trang không hợp lệ", "is not a valid cursor")})
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'c' {
		return nil, bad
	}
	at, id, ok := strings.Cut(string(b[1:]), "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || id == "" {
		return nil, bad
	}
	return &ChangeCursor{UpdatedAt: t, ID: id}, nil
}

// changes pages a change listing: the next cursor when the page is full.
func changes(list []Report, limit int, err error) ([]Report, string, error) {
	if err != nil || len(list) < limit {
		return list, "", err
	}
	return list, EncodeChangeCursor(&list[len(list)-1]), nil
}

// feedChanges is Feed with UpdatedSince set.
func (s *ReportService) feedChanges(ctx context.Context, f FeedFilter, since time.Time) ([]Report, string, error) {
	if len(f.Terms) > 0 {
		return nil, "", apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"),
			fieldErr("updated_since", "Không dùng cùng với q", "cannot be combined with q"))
	}
	after, err := DecodeChangeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	list, err := s.store.FeedChanges(ctx, f, since, after)
	return changes(list, f.Limit, err)
}

// MyChanges returns the caller's reports changed at or after since, oldest
// change first, after cursor (from the previous page), and the next page's
// cursor ("" at the end). Returns EINVALID for a bad cursor.
func (s *ReportService) MyChanges(ctx context.Context, p identity.Principal, since time.Time, cursor string, limit int) ([]Report, string, error) {
	if p.IsAnonymous() {
		return nil, "", identity.ErrUnauthenticated()
	}
	if limit < 1 || limit > 100 {
		limit = 20
	}
	after, err := DecodeChangeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	list, err := s.store.ReporterChanges(ctx, p.UserID, since, after, limit)
	return changes(list, limit, err)
}
