package identity

import (
	"context"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Limit counts one use of key in the current fixed window of the given
// length and returns ETOOMANY, with RetryAfter the end of the window, once
// more than max were counted in it. The count is taken before the action,
// atomically in the store, so parallel requests cannot slip past it, and
// it is shared by every instance of the service. Key names the action and
// who does it ("register:203.0.113.7").
func (s *Service) Limit(ctx context.Context, key string, max int, window time.Duration) error {
	now := s.now()
	start := now.Truncate(window)
	n, err := s.store.HitAttempt(ctx, "rate:"+key, start)
	if err != nil {
		return err
	}
	if n > max {
		e := apperr.New(apperr.ETOOMANY, i18n.T("Quá nhiều yêu cầu; hãy thử lại sau", "too many requests; try again later"))
		e.RetryAfter = start.Add(window).Sub(now)
		return e
	}
	return nil
}
