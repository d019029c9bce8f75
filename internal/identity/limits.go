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
	s.keepWindow(window)
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

// keepWindow makes the sweep keep counts for at least one window of the
// given length, should a caller use a longer one than the retention.
func (s *Service) keepWindow(window time.Duration) {
	for {
		cur := s.longestWindow.Load()
		if int64(window) <= cur || s.longestWindow.CompareAndSwap(cur, int64(window)) {
			return
		}
	}
}

// SweepAttempts removes the attempt counts (sign-in limits and every
// Limit key) whose window has ended, and returns how many windows it
// removed. A window ended when it started more than the longest window
// in use ago: the configured AttemptRetention, or a longer window a
// caller has used since start. Counts are only ever read for the current
// window, so this changes no decision; it keeps the store from growing
// with every address that ever tried.
func (s *Service) SweepAttempts(ctx context.Context) (int, error) {
	keep := max(s.cfg.AttemptRetention, s.cfg.FailureWindow, time.Duration(s.longestWindow.Load()))
	return s.store.DeleteAttemptsBefore(ctx, s.now().Add(-keep))
}
