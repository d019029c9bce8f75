package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/internal/lease"
	"camaug/survey"
)

// The leases instances share (package lease). Each background job runs on
// the one instance that holds its lease; leaseStartup is held for the
// start-up work and for a survey counter repair, which must not overlap.
const (
	leaseStartup      = "startup"
	leaseOutbox       = "outbox"
	leaseMaintenance  = "maintenance"
	leaseSurveyRepair = "survey-repair"
)

// instanceID names this process among the instances: host, process and a
// random part, as two processes may share a host.
func instanceID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// startUp is the work an instance does before serving, under leaseStartup so
// that instances starting together on an empty database take turns: the
// first seeds the reference data, makes the signing key and the first
// admin; the next find them there. Each step also tolerates finding its
// work done by another instance, should a lease term run out meanwhile.
func startUp(ctx context.Context, cfg config, st store, ref *feedback.ReferenceService, runner *lease.Runner, log *slog.Logger) (*identity.Service, error) {
	if seeded, err := ref.SeedDefault(ctx); err != nil {
		if cur, lerr := st.Reference().Load(ctx); apperr.CodeOf(err) != apperr.ECONFLICT || lerr != nil || cur.IsEmpty() {
			return nil, fmt.Errorf("seeding reference data: %w", err)
		}
	} else if seeded {
		log.Info("empty store: loaded the built-in Cà Mau reference data")
	}
	if cur, err := ref.Snapshot(ctx); err == nil {
		// Deadlines in a missing or provisional year skip the wrong days.
		for _, w := range cur.Calendar.Warnings(time.Now()) {
			log.Warn("working calendar: " + w)
		}
	}
	ids, err := identityService(ctx, cfg, st, log)
	if err != nil {
		return nil, err
	}
	if cfg.AdminEmail != "" {
		created, err := ids.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil && apperr.CodeOf(err) == apperr.ECONFLICT {
			// Another instance created it between the count and the insert.
			if n, cerr := st.Identity().CountActiveAdmins(ctx); cerr == nil && n > 0 {
				err = nil
			}
		}
		if err != nil {
			return nil, fmt.Errorf("creating the admin from CAMAUG_ADMIN_EMAIL: %s", describe(err))
		}
		if created {
			log.Info("created the admin account", "email", cfg.AdminEmail)
		}
	}
	// On MongoDB without transactions a crash can leave a report change
	// recorded in its event only; it is finished here (and before each
	// outbox dispatch).
	if r, ok := st.Reports().(interface {
		RepairEvents(context.Context) (int, error)
	}); ok {
		if n, err := r.RepairEvents(ctx); err != nil {
			log.Warn("finishing report changes a crash interrupted", "error", err)
		} else if n > 0 {
			log.Info("finished report changes a crash interrupted", "changes", n)
		}
	}
	repairSurveysLocked(ctx, st.Surveys(), runner, cfg.LeaseTTL+cfg.LeaseTTL/2, log)
	return ids, nil
}

// counterRepairer is the MongoDB survey store's repair of counters a crash
// left short (the embedded store counts in the response's transaction).
type counterRepairer interface {
	HasPending(context.Context) (bool, error)
	RepairPending(context.Context) (int, error)
}

// repairSurveyCounters is the periodic counter repair: when a response was
// left uncounted, it repairs under leaseStartup if no other instance is
// serving.
func repairSurveyCounters(ctx context.Context, ss survey.Store, runner *lease.Runner, log *slog.Logger) {
	r, ok := ss.(counterRepairer)
	if !ok {
		return
	}
	if pending, err := r.HasPending(ctx); err != nil || !pending {
		return
	}
	if err := runner.Do(ctx, leaseStartup, func(ctx context.Context) error {
		repairSurveysLocked(ctx, ss, runner, 0, log)
		return nil
	}); err != nil && ctx.Err() == nil {
		log.Warn("repairing survey counters", "error", err)
	}
}

// repairSurveysLocked recounts the surveys whose responses a crash left
// uncounted, holding leaseStartup, and only when no other instance is
// serving (waiting up to wait for the heartbeat of a dead one to end): a
// recount races another instance's submissions. Instances announce
// themselves before they take leaseStartup to start, so none can start
// serving while the recount runs: either it saw their heartbeat, or they
// wait for the lease.
func repairSurveysLocked(ctx context.Context, ss survey.Store, runner *lease.Runner, wait time.Duration, log *slog.Logger) {
	r, ok := ss.(counterRepairer)
	if !ok {
		return
	}
	if pending, err := r.HasPending(ctx); err != nil || !pending {
		if err != nil {
			log.Warn("repairing survey counters", "error", err)
		}
		return
	}
	alone, err := runner.WaitAlone(ctx, wait)
	if err != nil {
		log.Warn("repairing survey counters", "error", err)
		return
	}
	if !alone {
		log.Warn("survey responses left uncounted by a crash: their counters are repaired when an instance finds itself alone (other instances are serving now); camaug reindex repairs them while none serves")
		return
	}
	// The recount ends within the lease's term, before another instance
	// could take leaseStartup.
	ctx, cancel := context.WithTimeout(ctx, runner.TTL*9/10)
	defer cancel()
	if n, err := r.RepairPending(ctx); err != nil {
		log.Warn("repairing survey counters", "error", err)
	} else if n > 0 {
		log.Info("rebuilt the counters of surveys left uncounted by a crash", "surveys", n)
	}
}
