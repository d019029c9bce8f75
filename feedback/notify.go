package feedback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Party is who a notification is for.
type Party string

// The parties of a report.
const (
	PartyReporter Party = "reporter" // the person who reported it (by account, never by name or phone)
	PartyAgency   Party = "agency"   // an agency handling it, or one that just lost it to a transfer
)

// Notification is one outbox entry: a report's change, for one party. It is
// written in the same unit as the change (the history event), so a change
// that was stored is always announced, and delivery state lives with it so
// a restart resumes where it stopped. Delivery is at least once: receivers
// deduplicate by ID.
type Notification struct {
	ID           string // "<report>#<version>/<party>[/<agency>]": stable, unique
	ReportID     string
	TrackingCode string
	Version      int64
	Party        Party
	UserID       string // for PartyReporter: the account to notify
	AgencyCode   string // for PartyAgency
	Action       Action
	FromStatus   Status
	ToStatus     Status
	Note         string
	At           time.Time

	Attempts      int
	NextAttemptAt time.Time
	DeliveredAt   *time.Time
	// Dead is set when delivery was given up (a permanent refusal or too
	// many attempts); the entry stays for the record.
	Dead      bool
	LastError string
}

// NotificationStore is the outbox's delivery side. Entries are created by
// ReportStore.Transition from Event.Notify.
type NotificationStore interface {
	// DueNotifications returns up to limit entries neither delivered nor
	// dead whose NextAttemptAt is not after now, earliest first.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]Notification, error)
	// ClaimNotification takes an entry for one delivery attempt: if it is
	// still undelivered, not dead and at attempts, it moves to attempts+1
	// and is hidden until until (the lease). It reports false when another
	// dispatcher got there first.
	ClaimNotification(ctx context.Context, id string, attempts int, until time.Time) (bool, error)
	// FinishNotification records an attempt's outcome: delivered at at, or
	// a failure with the next attempt's time (dead when next is zero).
	FinishNotification(ctx context.Context, id string, delivered bool, at, next time.Time, lastErr string) error
}

// notificationsFor lists who must hear about ev, which moved prev to next:
// the reporter, the agency that has the report now, and the agency that
// lost it when it was transferred or re-routed.
func notificationsFor(prev, next *Report, ev Event) []Notification {
	base := Notification{ReportID: next.ID, TrackingCode: next.TrackingCode, Version: ev.Version, Action: ev.Action,
		FromStatus: ev.FromStatus, ToStatus: ev.ToStatus, Note: ev.Note, At: ev.At, NextAttemptAt: ev.At}
	prefix := eventKey(next.ID, ev.Version)
	var out []Notification
	if next.ReporterID != "" {
		n := base
		n.ID, n.Party, n.UserID = prefix+"/"+string(PartyReporter), PartyReporter, next.ReporterID
		out = append(out, n)
	}
	for _, code := range []string{next.AgencyCode, prev.AgencyCode} {
		if code == "" || (code == prev.AgencyCode && code == next.AgencyCode && len(out) > 0 && out[len(out)-1].AgencyCode == code) {
			continue
		}
		n := base
		n.ID, n.Party, n.AgencyCode = prefix+"/"+string(PartyAgency)+"/"+code, PartyAgency, code
		out = append(out, n)
	}
	return out
}

func eventKey(reportID string, version int64) string {
	return fmt.Sprintf("%s#%d", reportID, version)
}

// Sender delivers one notification. An error wrapped by Permanent is not
// retried.
type Sender interface {
	Send(ctx context.Context, n Notification) error
}

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks a delivery error that retrying cannot fix (the receiver
// refused the message).
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// LogSender "delivers" notifications to the log: the default when no
// webhook is configured. It logs no personal data (no user ID).
type LogSender struct{ Logger *slog.Logger }

// Send logs n.
func (s LogSender) Send(_ context.Context, n Notification) error {
	s.Logger.Info("notification", "id", n.ID, "party", n.Party, "agency", n.AgencyCode, "tracking_code", n.TrackingCode,
		"action", n.Action, "to_status", n.ToStatus)
	return nil
}

// Dispatcher delivers the outbox through a Sender, retrying failures with
// exponential backoff. Several instances may run at once: each entry is
// claimed before it is sent.
type Dispatcher struct {
	Store  NotificationStore
	Sender Sender
	Logger *slog.Logger
	Now    func() time.Time
	// MaxAttempts before an entry is given up (default 12: with the default
	// delays that is about 10 hours of trying).
	MaxAttempts int
	// BaseDelay is the wait after the first failure, doubled after each
	// next one up to MaxDelay, with ±20% jitter (defaults 10 s and 1 h).
	BaseDelay, MaxDelay time.Duration
	// Lease is how long a claimed entry stays hidden from other
	// dispatchers while it is being sent (default 2 min).
	Lease time.Duration
}

func (d *Dispatcher) defaults() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MaxAttempts == 0 {
		d.MaxAttempts = 12
	}
	if d.BaseDelay == 0 {
		d.BaseDelay = 10 * time.Second
	}
	if d.MaxDelay == 0 {
		d.MaxDelay = time.Hour
	}
	if d.Lease == 0 {
		d.Lease = 2 * time.Minute
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
}

// Backoff is the wait before attempt number attempts+1 after attempts
// failures, without jitter.
func (d *Dispatcher) Backoff(attempts int) time.Duration {
	d.defaults()
	w := d.BaseDelay
	for i := 1; i < attempts && w < d.MaxDelay; i++ {
		w *= 2
	}
	return min(w, d.MaxDelay)
}

// RunOnce delivers what is due now, in batches, and reports how many were
// delivered and how many attempts failed.
func (d *Dispatcher) RunOnce(ctx context.Context) (delivered, failed int, err error) {
	d.defaults()
	for {
		due, err := d.Store.DueNotifications(ctx, d.Now(), 100)
		if err != nil || len(due) == 0 {
			return delivered, failed, err
		}
		progress := false
		for _, n := range due {
			ok, err := d.Store.ClaimNotification(ctx, n.ID, n.Attempts, d.Now().Add(d.Lease))
			if err != nil {
				return delivered, failed, err
			}
			if !ok {
				continue
			}
			progress = true
			n.Attempts++
			sendErr := d.Sender.Send(ctx, n)
			now := d.Now()
			if sendErr == nil {
				delivered++
				if err := d.Store.FinishNotification(ctx, n.ID, true, now, time.Time{}, ""); err != nil {
					return delivered, failed, err
				}
				continue
			}
			failed++
			var next time.Time
			if !IsPermanent(sendErr) && n.Attempts < d.MaxAttempts {
				w := d.Backoff(n.Attempts)
				next = now.Add(w + time.Duration((rand.Float64()*0.4-0.2)*float64(w)))
			}
			d.Logger.Warn("notification not delivered", "id", n.ID, "attempt", n.Attempts, "error", sendErr.Error(),
				"next_attempt_at", next, "given_up", next.IsZero())
			if err := d.Store.FinishNotification(ctx, n.ID, false, now, next, sendErr.Error()); err != nil {
				return delivered, failed, err
			}
		}
		if !progress {
			return delivered, failed, nil
		}
	}
}

// Run calls RunOnce every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, every time.Duration) {
	d.defaults()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, _, err := d.RunOnce(ctx); err != nil && ctx.Err() == nil {
			d.Logger.Error("notification dispatch", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
