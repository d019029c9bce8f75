package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"camaug/feedback"
	"camaug/internal/apiclient"
)

// Destination is one receiver of outbox notifications.
type Destination struct {
	// Name is stable and unique among destinations: it keys the delivery
	// state and ends the delivery ID. "" is CAMAUG_WEBHOOK_URL's.
	Name string
	// Match picks the notifications this destination gets; nil is all.
	Match  func(feedback.Notification) bool
	Sender feedback.Sender
}

// Fanout is a feedback.Sender that delivers each notification to every
// destination matching it. Which destinations already got it is kept in
// Store, so when one fails and the dispatcher retries, the retry goes only
// to the destinations still missing it. A permanent refusal by one
// destination is recorded for it and does not hold back the others; a
// temporary failure of any makes Send fail, so the dispatcher retries.
type Fanout struct {
	Store DeliveryStore
	// Destinations are fixed at start; More adds, at each send, those kept
	// in the store (the API clients' subscriptions), so a subscription
	// made or revoked on any instance counts from the next notification.
	Destinations []Destination
	More         func(ctx context.Context) ([]Destination, error)
	Logger       *slog.Logger
	Now          func() time.Time
}

var _ feedback.Sender = (*Fanout)(nil)

// Add adds a destination: the one line that wires a new kind of receiver
// (fan.Add("push", notify.ForParty(feedback.PartyReporter), push)).
func (f *Fanout) Add(name string, match func(feedback.Notification) bool, s feedback.Sender) {
	f.Destinations = append(f.Destinations, Destination{Name: name, Match: match, Sender: s})
}

// ForParty matches the notifications for one party.
func ForParty(p feedback.Party) func(feedback.Notification) bool {
	return func(n feedback.Notification) bool { return n.Party == p }
}

type deliveryKey struct{}

// WithDeliveryID returns ctx carrying the delivery ID a sender should
// announce (the Webhook's X-Camaug-Delivery) instead of the notification's.
func WithDeliveryID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, deliveryKey{}, id)
}

func deliveryIDOf(ctx context.Context, n feedback.Notification) string {
	if id, ok := ctx.Value(deliveryKey{}).(string); ok && id != "" {
		return id
	}
	return n.ID
}

// DeliveryID is a notification's delivery ID for one destination: its ID
// and "@" and the destination's name; the unnamed destination (today's
// CAMAUG_WEBHOOK_URL) keeps the bare notification ID its receivers know.
func DeliveryID(notificationID, destination string) string {
	if destination == "" {
		return notificationID
	}
	return notificationID + "@" + destination
}

// Send delivers n to every matching destination that has not had it.
func (f *Fanout) Send(ctx context.Context, n feedback.Notification) error {
	dests := append([]Destination{}, f.Destinations...)
	if f.More != nil {
		more, err := f.More(ctx)
		if err != nil {
			return err
		}
		dests = append(dests, more...)
	}
	var names []string
	var todo []Destination
	for _, d := range dests {
		if d.Match == nil || d.Match(n) {
			todo = append(todo, d)
			names = append(names, d.Name)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	done, err := f.Store.DoneDestinations(ctx, n.ID, names)
	if err != nil {
		return err
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	log := f.Logger
	if log == nil {
		log = slog.Default()
	}
	var failed []error
	for _, d := range todo {
		if done[d.Name] {
			continue
		}
		err := d.Sender.Send(WithDeliveryID(ctx, DeliveryID(n.ID, d.Name)), n)
		switch {
		case err == nil:
			err = f.Store.MarkDestinationDone(ctx, n.ID, d.Name, now(), false, "")
		case feedback.IsPermanent(err):
			log.Warn("notification refused by a destination", "id", n.ID, "destination", d.Name, "error", err.Error())
			err = f.Store.MarkDestinationDone(ctx, n.ID, d.Name, now(), true, err.Error())
		}
		if err != nil {
			failed = append(failed, errors.New(d.Name+": "+err.Error()))
		}
	}
	return errors.Join(failed...)
}

// ClientDestinations lists the webhook subscriptions of the API clients
// that hold the webhooks scope and are not revoked, read from the store at
// each call. Their deliveries carry no account ID and no note (see
// Webhook.Redact): those are for the service's own gateway only.
func ClientDestinations(store apiclient.Store, client func() *Webhook) func(ctx context.Context) ([]Destination, error) {
	return func(ctx context.Context) ([]Destination, error) {
		list, err := store.ListClients(ctx)
		if err != nil {
			return nil, err
		}
		var out []Destination
		for _, c := range list {
			sub := c.Webhook
			if c.Revoked() || sub == nil || !c.Has(apiclient.ScopeWebhooks) {
				continue
			}
			w := &Webhook{}
			if client != nil {
				w = client()
			}
			w.URL, w.Secret, w.Redact = sub.URL, []byte(sub.Secret), true
			out = append(out, Destination{Name: "client:" + c.ID, Sender: w, Match: func(n feedback.Notification) bool {
				return sub.Matches("report."+string(n.Action), string(n.Party), n.AgencyCode)
			}})
		}
		return out, nil
	}
}
