package main

import (
	"context"
	"log/slog"
	"time"
)

// expirySweeper is a store that deletes expired documents itself (the
// MongoDB store: on a server without TTL indexes nothing else would).
type expirySweeper interface {
	SweepExpired(ctx context.Context, now time.Time) (int, error)
}

// sweepExpiredEvery runs the store's expiry sweep at start and then every
// interval until ctx ends. Expired tokens, keys and sessions are refused on
// read anyway; this frees their space. Several instances may run it: each
// deletes what has expired, so a second pass finds nothing.
func sweepExpiredEvery(ctx context.Context, interval time.Duration, st store, log *slog.Logger) {
	sw, ok := st.(expirySweeper)
	if !ok {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := sw.SweepExpired(ctx, time.Now()); err != nil && ctx.Err() == nil {
			log.Warn("removing expired tokens, idempotency keys and delivered notifications", "error", err)
		} else if n > 0 {
			log.Info("removed expired documents", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
