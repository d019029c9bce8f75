package feedback

import (
	"context"
	"io"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
	"camaug/internal/media"
)

// Media is a photo attached to a report, stored re-encoded (no metadata)
// with a thumbnail.
type Media struct {
	ID                      string
	ReportID                string
	ContentType             string
	Width, Height           int
	ThumbWidth, ThumbHeight int
	Size, ThumbSize         int
	CreatedAt               time.Time
}

// MediaStore keeps photos: files under the data folder on SQLite, GridFS on
// MongoDB.
type MediaStore interface {
	// AddMedia stores a photo and its thumbnail unless the report already
	// has max photos, in which case it returns ECONFLICT and stores nothing.
	AddMedia(ctx context.Context, m Media, data, thumb []byte, max int) error
	// GetMedia returns ENOTFOUND for an unknown ID.
	GetMedia(ctx context.Context, id string) (Media, error)
	// ReadMedia returns the photo's bytes, or its thumbnail's.
	ReadMedia(ctx context.Context, id string, thumb bool) ([]byte, error)
	// ListMedia returns a report's photos, oldest first.
	ListMedia(ctx context.Context, reportID string) ([]Media, error)
}

// Photo limits.
const (
	MaxPhotosPerReport = 6
	PhotoWindow        = 24 * time.Hour
)

// AddPhoto processes an upload (format from the bytes, size and pixel
// limits, orientation applied, every byte of metadata dropped) and attaches
// it. Only the reporter may add photos, within 24 hours of reporting and
// before the report is resolved; at most six.
func (s *ReportService) AddPhoto(ctx context.Context, p identity.Principal, reportID string, photo io.Reader) (Media, error) {
	m, _, err := s.addPhoto(ctx, p, reportID, photo, nil)
	return m, err
}

// addPhoto is AddPhoto; once the photo is processed, claim (when set)
// names its ID, or returns the photo stored by an earlier request that
// this one retries (replayed true): then nothing more is stored.
func (s *ReportService) addPhoto(ctx context.Context, p identity.Principal, reportID string, photo io.Reader,
	claim func(m Media) (prev Media, replayed bool, err error)) (Media, bool, error) {
	if err := p.Require(identity.PermReportsCreate); err != nil {
		return Media{}, false, err
	}
	r, _, err := s.Get(ctx, p, reportID)
	if err != nil {
		return Media{}, false, err
	}
	if r.ReporterID != p.UserID {
		return Media{}, false, identity.ErrForbidden()
	}
	switch {
	case r.Status == StatusResolved || r.Status == StatusClosed || r.Status == StatusRejected:
		return Media{}, false, apperr.ConflictOf(apperr.KindState, i18n.T("Phản ánh đã xử lý xong, không thể thêm ảnh", "the report is already handled; no more photos"))
	case s.now().Sub(r.CreatedAt) > PhotoWindow:
		return Media{}, false, apperr.ConflictOf(apperr.KindLimit, i18n.T("Chỉ thêm ảnh trong 24 giờ sau khi gửi phản ánh", "photos can be added only within 24 hours of reporting"))
	}
	// Decoding reserves its estimated memory from the service's budget
	// (a 12 MP photo: about 70 MiB and 0.6 s), and stops when ctx ends.
	out, err := media.ProcessContext(ctx, photo, media.Limits{Budget: s.photos})
	if err != nil {
		return Media{}, false, err
	}
	m := Media{ID: ids.New(), ReportID: r.ID, ContentType: out.ContentType, Width: out.Width, Height: out.Height,
		ThumbWidth: out.ThumbWidth, ThumbHeight: out.ThumbHeight, Size: len(out.Data), ThumbSize: len(out.Thumb), CreatedAt: s.now().UTC()}
	if claim != nil {
		prev, replayed, err := claim(m)
		if err != nil || replayed {
			return prev, replayed, err
		}
		m.ID = prev.ID
	}
	if err := s.media.AddMedia(ctx, m, out.Data, out.Thumb, MaxPhotosPerReport); err != nil {
		if apperr.CodeOf(err) == apperr.ECONFLICT {
			return Media{}, false, apperr.ConflictOf(apperr.KindLimit, i18n.T("Mỗi phản ánh tối đa 6 ảnh", "a report holds at most 6 photos"))
		}
		return Media{}, false, err
	}
	return m, false, nil
}

// IsPublic reports whether a report is in the public feed: taken up by
// the coordinator (dispatched or later) and not rejected.
func (r *Report) IsPublic() bool { return r.Status != StatusSubmitted && r.Status != StatusRejected }

// Photo returns a photo's bytes to a caller who may see it: the reporter
// and the handling staff, and anyone once the report is public.
func (s *ReportService) Photo(ctx context.Context, p identity.Principal, id string, thumb bool) (Media, []byte, error) {
	notFound := apperr.NotFound(i18n.T("Không tìm thấy ảnh", "photo not found"))
	if !ids.Valid(id) {
		return Media{}, nil, notFound
	}
	m, err := s.media.GetMedia(ctx, id)
	if err != nil {
		return Media{}, nil, err
	}
	r, err := s.store.GetReport(ctx, m.ReportID)
	if err != nil {
		return Media{}, nil, err
	}
	if !r.IsPublic() {
		if p.IsAnonymous() {
			return Media{}, nil, identity.ErrUnauthenticated()
		}
		if _, _, err := s.Get(ctx, p, r.ID); err != nil {
			return Media{}, nil, notFound
		}
	}
	data, err := s.media.ReadMedia(ctx, id, thumb)
	return m, data, err
}

// Photos lists a report's photos (the caller must be allowed to see it).
func (s *ReportService) Photos(ctx context.Context, reportID string) ([]Media, error) {
	return s.media.ListMedia(ctx, reportID)
}
