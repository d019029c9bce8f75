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

// guess names the counts that guard one kind of password check: pair
// counts the attempts on one account from one address, addr the attempts
// from one address on every account, fails the failures on the account
// from every address.
type guess struct{ pair, addr, fails string }

// beforeGuess is the brute-force guard run before a password is checked.
// The attempt is counted first, atomically in the store, then judged by
// the count it returns, so parallel guesses cannot all read a count below
// the limit. Past MaxFailuresPerAccount for the (account, address) pair,
// or MaxFailuresPerAddress for the address, it returns ETOOMANY without
// checking. Nothing locks the account itself: an address that has not
// tried it in the window passes at once, so failing on purpose from other
// addresses cannot lock out or slow down the owner (or the last admin).
// An address that has tried it (and not succeeded since) waits a delay
// that doubles with the account's failures from every address (see
// Config.FailureDelay), so a guesser spreading over many addresses gets
// slower on each of them; the wait ends early with ETOOMANY if ctx ends.
func (s *Service) beforeGuess(ctx context.Context, g guess) error {
	now := s.now()
	window := now.Truncate(s.cfg.FailureWindow)
	var pairHits int
	for _, lim := range []struct {
		key string
		max int
	}{{g.pair, s.cfg.MaxFailuresPerAccount}, {g.addr, s.cfg.MaxFailuresPerAddress}} {
		n, err := s.store.HitAttempt(ctx, lim.key, window)
		if err != nil {
			return err
		}
		if lim.key == g.pair {
			pairHits = n
		}
		if n > lim.max {
			e := apperr.New(apperr.ETOOMANY, i18n.T("Đăng nhập sai quá nhiều lần; hãy thử lại sau", "too many failed logins; try again later"))
			e.RetryAfter = window.Add(s.cfg.FailureWindow).Sub(now)
			return e
		}
	}
	if pairHits <= 1 {
		return nil // a clean address
	}
	fails, err := s.store.AttemptCount(ctx, g.fails, window)
	if err != nil {
		return err
	}
	d := s.failureDelay(fails)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		e := apperr.New(apperr.ETOOMANY, i18n.T("Đăng nhập sai quá nhiều lần; hãy thử lại sau", "too many failed logins; try again later"))
		e.RetryAfter = d
		return e
	}
}

// failureDelay is the wait before the next check on an account that has
// failed fails times in the window.
func (s *Service) failureDelay(fails int) time.Duration {
	over := fails - s.cfg.FreeFailures
	if over < 0 {
		return 0
	}
	d := s.cfg.FailureDelay
	for i := 0; i < over && d < s.cfg.MaxFailureDelay; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxFailureDelay)
}

// afterGuess records a password check's outcome: a success forgets the
// pair's attempts (the address count stays: it counts attempts over every
// account), a failure adds to the account's failures.
func (s *Service) afterGuess(ctx context.Context, g guess, ok bool) error {
	if ok {
		return s.store.ClearAttempts(ctx, g.pair)
	}
	_, err := s.store.HitAttempt(ctx, g.fails, s.now().Truncate(s.cfg.FailureWindow))
	return err
}
