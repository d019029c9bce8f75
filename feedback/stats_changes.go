package feedback

import (
	"context"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// ChangesHorizon is how old a change must be before the statistics changes
// feed lists it. A report's UpdatedAt is taken before its write commits, so
// a slow write can commit after a faster, later one; a reader whose cursor
// passed the later change would never see the earlier. Listing only changes
// older than the horizon makes every write that can still land behind the
// cursor finish first. Local choice: six times the store's default
// operation deadline (MongoDB, 5 s), far above an SQLite commit.
const ChangesHorizon = 30 * time.Second

// ReportChange is one report's state in the statistics changes feed: what
// the province's integration platform needs to keep its copy of the
// published reports current. No personal data: no reporter, contact, text,
// address, exact location or tracking code (the code is the reporter's
// secret for the track page).
type ReportChange struct {
	ID           string     `json:"id"`
	Status       Status     `json:"status"`
	CategoryCode string     `json:"category_code"`
	AreaCode     string     `json:"area_code"`
	AgencyCode   string     `json:"agency_code,omitempty"`
	Urgent       bool       `json:"urgent"`
	CreatedAt    time.Time  `json:"created_at"`
	DispatchedAt *time.Time `json:"dispatched_at,omitempty"`
	RespondedAt  *time.Time `json:"responded_at,omitempty"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
	UpdatedAt    time.Time  `json:"updated_at"`
	Version      int64      `json:"version"`
}

// ChangesPage is a page of the changes feed. NextCursor is where the next
// request starts (after the last item; the request's own cursor when the
// page is empty): keep it. More says whether to ask again at once; when it
// is false the reader has caught up to Horizon and asks again later.
type ChangesPage struct {
	Items      []ReportChange `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
	More       bool           `json:"more"`
	Horizon    time.Time      `json:"horizon"`
}

// StatsChanges lists the published reports changed at or after since (or
// after cursor, from a previous page), oldest change first, up to the
// horizon, at most limit (1–500). The query is the public feed's change
// listing, so the reports listed and the index serving it are the feed's.
// A report that leaves the public statuses (rejected) is not listed again.
func (s *ReportService) StatsChanges(ctx context.Context, since time.Time, cursor string, limit int) (*ChangesPage, error) {
	if limit < 1 || limit > 500 {
		return nil, apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"),
			fieldErr("limit", "Từ 1 đến 500", "must be 1 to 500"))
	}
	after, err := DecodeChangeCursor(cursor)
	if err != nil {
		return nil, err
	}
	horizon := s.now().Add(-ChangesHorizon).UTC()
	list, err := s.store.FeedChanges(ctx, FeedFilter{Statuses: PublicStatuses, Limit: limit}, since, after)
	if err != nil {
		return nil, err
	}
	page := &ChangesPage{Items: []ReportChange{}, Horizon: horizon, NextCursor: cursor}
	for i := range list {
		r := &list[i]
		if !r.UpdatedAt.Before(horizon) {
			// Ordered by UpdatedAt: everything after is newer still.
			return page, nil
		}
		page.NextCursor = EncodeChangeCursor(r)
		page.Items = append(page.Items, ReportChange{ID: r.ID, Status: r.Status, CategoryCode: r.CategoryCode, AreaCode: r.AreaCode,
			AgencyCode: r.AgencyCode, Urgent: r.Urgent, CreatedAt: r.CreatedAt.UTC(), DispatchedAt: utcPtr(r.DispatchedAt),
			RespondedAt: utcPtr(r.RespondedAt), ResolvedAt: utcPtr(r.ResolvedAt), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version})
	}
	page.More = len(list) == limit
	return page, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
