package feedback

import (
	"context"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// PublicReport returns a report for a caller without an account, such as
// an Open311 client. It returns ENOTFOUND if no report has the ID. The
// report may not be public yet (see IsPublic): callers then show only its
// status, category and times, never its text, place or reporter.
func (s *ReportService) PublicReport(ctx context.Context, id string) (*Report, error) {
	notFound := apperr.NotFound(i18n.T("Không tìm thấy phản ánh", "report not found"))
	if !ids.Valid(id) {
		return nil, notFound
	}
	r, err := s.store.GetReport(ctx, id)
	if apperr.CodeOf(err) == apperr.ENOTFOUND {
		return nil, notFound
	}
	return r, err
}
