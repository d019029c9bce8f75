package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/internal/apiclient"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/notify"
)

const (
	collClients    = "api_clients"
	collDeliveries = "notification_deliveries"
)

// ClientStore keeps the API clients and the outbox's per-destination
// delivery state. Both are read by _id only: a client by its ID, a
// delivery by "<notification id>|<destination>".
type ClientStore struct{ db *DB }

var (
	_ apiclient.Store      = (*ClientStore)(nil)
	_ notify.DeliveryStore = (*ClientStore)(nil)
)

// Clients returns the API client store.
func (db *DB) Clients() apiclient.Store { return &ClientStore{db: db} }

// Deliveries returns the outbox's per-destination delivery state.
func (db *DB) Deliveries() notify.DeliveryStore { return &ClientStore{db: db} }

type subscriptionDoc struct {
	URL      string   `bson:"url"`
	Secret   string   `bson:"secret"`
	Events   []string `bson:"events"`
	Parties  []string `bson:"parties"`
	Agencies []string `bson:"agencies"`
}

type clientDoc struct {
	ID           string           `bson:"_id"`
	Name         string           `bson:"name"`
	Scopes       []string         `bson:"scopes"`
	RateLimit    int              `bson:"rate_limit"`
	KeyHash      string           `bson:"key_hash"`
	PrevKeyHash  string           `bson:"prev_key_hash"`
	PrevKeyUntil time.Time        `bson:"prev_key_until"`
	CreatedAt    time.Time        `bson:"created_at"`
	RotatedAt    *time.Time       `bson:"rotated_at"`
	RevokedAt    *time.Time       `bson:"revoked_at"`
	LastUsedAt   *time.Time       `bson:"last_used_at,omitempty"`
	Webhook      *subscriptionDoc `bson:"webhook"`
}

func toClientDoc(c *apiclient.Client) clientDoc {
	d := clientDoc{ID: c.ID, Name: c.Name, RateLimit: c.RateLimit, KeyHash: c.KeyHash, PrevKeyHash: c.PrevKeyHash,
		PrevKeyUntil: c.PrevKeyUntil, CreatedAt: c.CreatedAt, RotatedAt: c.RotatedAt, RevokedAt: c.RevokedAt, LastUsedAt: c.LastUsedAt}
	for _, s := range c.Scopes {
		d.Scopes = append(d.Scopes, string(s))
	}
	if w := c.Webhook; w != nil {
		d.Webhook = &subscriptionDoc{URL: w.URL, Secret: w.Secret, Events: w.Events, Parties: w.Parties, Agencies: w.Agencies}
	}
	return d
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (d clientDoc) client() apiclient.Client {
	c := apiclient.Client{ID: d.ID, Name: d.Name, RateLimit: d.RateLimit, KeyHash: d.KeyHash, PrevKeyHash: d.PrevKeyHash,
		CreatedAt: d.CreatedAt.UTC(), RotatedAt: utcPtr(d.RotatedAt), RevokedAt: utcPtr(d.RevokedAt), LastUsedAt: utcPtr(d.LastUsedAt)}
	if !d.PrevKeyUntil.IsZero() {
		c.PrevKeyUntil = d.PrevKeyUntil.UTC()
	}
	for _, s := range d.Scopes {
		c.Scopes = append(c.Scopes, apiclient.Scope(s))
	}
	if w := d.Webhook; w != nil {
		c.Webhook = &apiclient.Subscription{URL: w.URL, Secret: w.Secret, Events: w.Events, Parties: w.Parties, Agencies: w.Agencies}
	}
	return c
}

func errClientNotFound() error {
	return apperr.NotFound(i18n.T("Không có ứng dụng này", "no such API client"))
}

// CreateClient stores a new client.
func (s *ClientStore) CreateClient(ctx context.Context, c *apiclient.Client) error {
	_, err := s.db.db.Collection(collClients).InsertOne(ctx, toClientDoc(c))
	if isDuplicate(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Ứng dụng đã tồn tại", "the API client exists"))
	}
	return internal(err)
}

// GetClient returns a client by ID.
func (s *ClientStore) GetClient(ctx context.Context, id string) (*apiclient.Client, error) {
	var d clientDoc
	err := s.db.db.Collection(collClients).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, errClientNotFound()
	}
	if err != nil {
		return nil, internal(err)
	}
	c := d.client()
	return &c, nil
}

// ixClientsByID lists every client in _id order (the _id index).
var ixClientsByID = servedBy(collClients, "ListClients", asc("_id"))

// ListClients returns every client by ID.
func (s *ClientStore) ListClients(ctx context.Context) ([]apiclient.Client, error) {
	// index: ixClientsByID
	return findAll(ctx, s.db.db.Collection(collClients), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}),
		func(d clientDoc) apiclient.Client { return d.client() })
}

// UpdateClient replaces every field but the last use.
func (s *ClientStore) UpdateClient(ctx context.Context, c *apiclient.Client) error {
	d := toClientDoc(c)
	set := bson.D{{Key: "name", Value: d.Name}, {Key: "scopes", Value: d.Scopes}, {Key: "rate_limit", Value: d.RateLimit},
		{Key: "key_hash", Value: d.KeyHash}, {Key: "prev_key_hash", Value: d.PrevKeyHash}, {Key: "prev_key_until", Value: d.PrevKeyUntil},
		{Key: "created_at", Value: d.CreatedAt}, {Key: "rotated_at", Value: d.RotatedAt}, {Key: "revoked_at", Value: d.RevokedAt},
		{Key: "webhook", Value: d.Webhook}}
	res, err := s.db.db.Collection(collClients).UpdateOne(ctx, bson.D{{Key: "_id", Value: c.ID}}, bson.D{{Key: "$set", Value: set}})
	if err != nil {
		return internal(err)
	}
	if res.MatchedCount == 0 {
		return errClientNotFound()
	}
	return nil
}

// TouchClient records a use.
func (s *ClientStore) TouchClient(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.db.Collection(collClients).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "last_used_at", Value: at}}}})
	if err != nil {
		return internal(err)
	}
	if res.MatchedCount == 0 {
		return errClientNotFound()
	}
	return nil
}

type deliveryDoc struct {
	ID             string    `bson:"_id"`
	NotificationID string    `bson:"notification_id"`
	Destination    string    `bson:"destination"`
	At             time.Time `bson:"at"`
	GaveUp         bool      `bson:"gave_up"`
	LastError      string    `bson:"last_error"`
}

func deliveryID(notificationID, destination string) string { return notificationID + "|" + destination }

// DoneDestinations returns which destinations are done with a notification.
func (s *ClientStore) DoneDestinations(ctx context.Context, notificationID string, destinations []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(destinations) == 0 {
		return out, nil
	}
	keys := make([]string, len(destinations))
	for i, d := range destinations {
		keys[i] = deliveryID(notificationID, d)
	}
	docs, err := findAll(ctx, s.db.db.Collection(collDeliveries), bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: keys}}}}, nil,
		func(d deliveryDoc) deliveryDoc { return d })
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		out[d.Destination] = true
	}
	return out, nil
}

// MarkDestinationDone records a destination's outcome once: an insert
// keyed by the pair, so a second mark (another instance) keeps the first.
func (s *ClientStore) MarkDestinationDone(ctx context.Context, notificationID, destination string, at time.Time, gaveUp bool, lastErr string) error {
	_, err := s.db.db.Collection(collDeliveries).InsertOne(ctx, deliveryDoc{ID: deliveryID(notificationID, destination),
		NotificationID: notificationID, Destination: destination, At: at, GaveUp: gaveUp, LastError: lastErr})
	if isDuplicate(err) {
		return nil
	}
	return internal(err)
}
