package identity

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// HashMemoryMiB is the memory one argon2id hash or check holds while it
// runs (argonMemory KiB), the unit of the hashing budget.
const HashMemoryMiB = argonMemory / 1024

// hashGate bounds the argon2id computations running at once. Each holds
// HashMemoryMiB of memory and a core for tens of milliseconds, so 300
// parallel registrations would otherwise need 5.6 GiB: the gate has
// min(GOMAXPROCS-1, budget/19 MiB) slots (at least one: hashing never takes
// every core, so /healthz and every other request still find one), a request waits for a
// slot at most `wait` (or until its context ends), and is then refused with
// EUNAVAILABLE (503 with Retry-After) rather than queued without end.
type hashGate struct {
	slots    chan struct{}
	wait     time.Duration
	inFlight atomic.Int64
	peak     atomic.Int64
}

func newHashGate(budgetMiB, concurrency int, wait time.Duration) *hashGate {
	n := max(1, min(runtime.GOMAXPROCS(0)-1, budgetMiB/HashMemoryMiB))
	if concurrency > 0 {
		n = concurrency
	}
	return &hashGate{slots: make(chan struct{}, n), wait: wait}
}

// errHashBusy is the answer when no hashing slot frees up in time.
func errHashBusy(retry time.Duration) error {
	e := apperr.New(apperr.EUNAVAILABLE, i18n.T("Máy chủ đang bận xử lý đăng nhập; hãy thử lại sau giây lát",
		"the server is busy checking passwords; try again in a moment"))
	e.RetryAfter = retry
	return e
}

// run calls fn in a slot, waiting at most g.wait for one.
func (g *hashGate) run(ctx context.Context, fn func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			return errHashBusy(max(time.Second, g.wait))
		case <-ctx.Done():
			return errHashBusy(max(time.Second, g.wait))
		}
	}
	defer func() { <-g.slots }()
	n := g.inFlight.Add(1)
	defer g.inFlight.Add(-1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	fn()
	return nil
}

// hash is HashPassword inside the gate.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	var h string
	err := s.gate.run(ctx, func() { h = hashPasswordCost(password, s.cfg.PasswordCost) })
	return h, err
}

// verify is VerifyPassword inside the gate.
func (s *Service) verify(ctx context.Context, hash, password string) (bool, error) {
	var ok bool
	err := s.gate.run(ctx, func() { ok = VerifyPassword(hash, password) })
	return ok, err
}

// HashStats reports the hashing gate: its slots (hashes allowed at once)
// and the most hashes that ever ran at once (for tests and load reports).
func (s *Service) HashStats() (slots, peak int) {
	return cap(s.gate.slots), int(s.gate.peak.Load())
}
