// Package lease lets several instances of the service share one database
// without running the same background job twice, using nothing but inserts
// under a unique key. Those are atomic on every engine we run on; filtered
// ("conditional") updates are not (FerretDB v1 reads and writes them apart,
// so two instances "taking" one document with a filtered update both win).
//
// A lease is cut into terms of a fixed length (the TTL): term n of lease
// "dispatch" is the document "dispatch#n", and whoever inserts it holds the
// lease for that term. The holder inserts the next term's document before
// its current term ends, so it keeps the lease while it lives; when it
// dies, the next term nobody inserted goes to the first other instance that
// asks, at most two TTLs after the death (see Runner). Clocks must agree to
// well under a TTL (NTP), and every instance must use the same TTL.
package lease

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Store is what leases need of a database. Every method is safe to call
// from many instances at once.
type Store interface {
	// TryLease makes owner the holder of lease name for the term of length
	// ttl that contains at, unless another owner holds that term. It
	// reports whether owner holds it (now or from an earlier call).
	TryLease(ctx context.Context, name, owner string, at time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease gives up owner's hold on the term of name that contains
	// at, so another owner may take that term at once. It does nothing
	// when owner does not hold it.
	ReleaseLease(ctx context.Context, name, owner string, at time.Time, ttl time.Duration) error
	// ClaimOnce records key at at. It reports true to the one call, on any
	// instance, that recorded it and false to every other.
	ClaimOnce(ctx context.Context, key string, at time.Time) (bool, error)
	// Heartbeat records that instance is alive until until.
	Heartbeat(ctx context.Context, instance string, until time.Time) error
	// Leave removes instance's heartbeat (at a clean stop).
	Leave(ctx context.Context, instance string) error
	// LiveInstances returns the instances whose last heartbeat lasts
	// past now.
	LiveInstances(ctx context.Context, now time.Time) ([]string, error)
	// Sweep removes the claims recorded before before and the heartbeats
	// that ended before it (instances that died without leaving), and
	// returns how many it removed. A claim is only contested while its
	// attempt may still be retried, so a day-old one can go.
	Sweep(ctx context.Context, before time.Time) (int, error)
}

// Term is the number of the term of length ttl that contains at.
func Term(at time.Time, ttl time.Duration) int64 { return at.UnixNano() / int64(ttl) }

// TermEnd is when term n of length ttl ends.
func TermEnd(n int64, ttl time.Duration) time.Time { return time.Unix(0, (n+1)*int64(ttl)) }

// DefaultTTL is the length of a lease term when none is configured.
const DefaultTTL = 30 * time.Second

// Runner runs jobs under leases for one instance.
type Runner struct {
	Store Store
	// Owner names this instance: unique per process.
	Owner string
	// TTL is the length of a term (DefaultTTL when zero).
	TTL    time.Duration
	Logger *slog.Logger
	Now    func() time.Time

	// once fills the defaults on first use: Run, Do and Beat may start
	// together on several goroutines.
	once sync.Once
}

func (r *Runner) defaults() {
	r.once.Do(func() {
		if r.TTL == 0 {
			r.TTL = DefaultTTL
		}
		if r.Now == nil {
			r.Now = time.Now
		}
		if r.Logger == nil {
			r.Logger = slog.Default()
		}
	})
}

// hold takes or keeps lease name at now and, in the second half of the
// term, the next term too, so that a living holder keeps the lease across
// the boundary. It returns the end of the last term held (zero when the
// current one is not), less a tenth of a TTL for clock differences.
func (r *Runner) hold(ctx context.Context, name string, now time.Time) (time.Time, error) {
	ok, err := r.Store.TryLease(ctx, name, r.Owner, now, r.TTL)
	if err != nil || !ok {
		return time.Time{}, err
	}
	n := Term(now, r.TTL)
	end := TermEnd(n, r.TTL)
	if end.Sub(now) <= r.TTL/2 {
		if ok, err := r.Store.TryLease(ctx, name, r.Owner, end, r.TTL); err != nil {
			return time.Time{}, err
		} else if ok {
			end = TermEnd(n+1, r.TTL)
		}
	}
	return end.Add(-r.TTL / 10), nil
}

// Run calls job about every interval for as long as ctx lasts, on whichever
// instance holds lease name: on this one only while it does. Each call's
// context ends when the held terms do, so a holder that cannot renew stops
// before another instance may start. An instance checks the lease every
// quarter TTL (or every interval, if shorter), so when the holder dies
// another takes over within two TTLs and a quarter.
func (r *Runner) Run(ctx context.Context, name string, interval time.Duration, job func(context.Context) error) {
	r.defaults()
	tick := min(interval, r.TTL/4)
	var last time.Time
	for {
		now := r.Now()
		until, err := r.hold(ctx, name, now)
		if err != nil && ctx.Err() == nil {
			r.Logger.Warn("lease", "lease", name, "error", err.Error())
		}
		if !until.IsZero() && (last.IsZero() || now.Sub(last) >= interval-tick/2) {
			last = now
			jctx, cancel := context.WithDeadline(ctx, until)
			if err := job(jctx); err != nil && jctx.Err() == nil {
				r.Logger.Warn("background job", "lease", name, "error", err.Error())
			}
			cancel()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

// Do waits until it holds lease name, runs fn, and releases the lease, so
// that of the instances calling Do with one name, one runs fn at a time.
// It holds the current and the next term while fn runs, so fn has at
// least one TTL; fn is not stopped when that runs out: an fn that may take
// longer must tolerate a second runner.
func (r *Runner) Do(ctx context.Context, name string, fn func(context.Context) error) error {
	r.defaults()
	poll := min(r.TTL/20, 250*time.Millisecond)
	for {
		now := r.Now()
		ok, err := r.Store.TryLease(ctx, name, r.Owner, now, r.TTL)
		if err != nil {
			return err
		}
		if ok {
			next := TermEnd(Term(now, r.TTL), r.TTL)
			if ok, err := r.Store.TryLease(ctx, name, r.Owner, next, r.TTL); err != nil {
				return err
			} else if ok {
				defer r.Store.ReleaseLease(context.WithoutCancel(ctx), name, r.Owner, next, r.TTL)
			}
			defer r.Store.ReleaseLease(context.WithoutCancel(ctx), name, r.Owner, now, r.TTL)
			return fn(ctx)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Beat records this instance's heartbeat now and every third of a TTL
// until ctx ends, then removes it.
func (r *Runner) Beat(ctx context.Context) {
	r.defaults()
	for {
		if err := r.Store.Heartbeat(ctx, r.Owner, r.Now().Add(r.TTL)); err != nil && ctx.Err() == nil {
			r.Logger.Warn("heartbeat", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			r.Store.Leave(c, r.Owner)
			cancel()
			return
		case <-time.After(r.TTL / 3):
		}
	}
}

// WaitAlone waits until no instance but this one has a live heartbeat, for
// at most wait, and reports whether it is alone.
func (r *Runner) WaitAlone(ctx context.Context, wait time.Duration) (bool, error) {
	r.defaults()
	deadline := r.Now().Add(wait)
	for {
		live, err := r.Store.LiveInstances(ctx, r.Now())
		if err != nil {
			return false, err
		}
		alone := true
		for _, id := range live {
			alone = alone && id == r.Owner
		}
		if alone {
			return true, nil
		}
		if r.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(min(r.TTL/10, time.Second)):
		}
	}
}
