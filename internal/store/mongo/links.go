package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

const (
	collLinks         = "identity_links"
	collExchanged     = "exchanged_tokens"
	collAccountEvents = "account_events"
)

// linkDoc is an identity link; the unique index on (issuer, subject) makes
// a provider identity belong to one account.
type linkDoc struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	Issuer    string    `bson:"issuer"`
	Subject   string    `bson:"subject"`
	CreatedAt time.Time `bson:"created_at"`
}

func (d linkDoc) link() identity.Link {
	return identity.Link{ID: d.ID, UserID: d.UserID, Issuer: d.Issuer, Subject: d.Subject, CreatedAt: d.CreatedAt}
}

// exchangedDoc remembers an exchanged token (its key is _id) until it
// expires. No TTL index (FerretDB has none): expiry is checked on write and
// swept by ForgetTokensBefore.
type exchangedDoc struct {
	Key       string    `bson:"_id"`
	ExpiresAt time.Time `bson:"expires_at"`
}

type accountEventDoc struct {
	ID     string    `bson:"_id"`
	UserID string    `bson:"user_id"`
	Kind   string    `bson:"kind"`
	At     time.Time `bson:"at"`
	Issuer string    `bson:"issuer"`
}

func linkIndexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		collLinks: {
			{Keys: bson.D{{Key: "issuer", Value: 1}, {Key: "subject", Value: 1}}, Options: options.Index().SetUnique(true)},
		},
	}
}

// The link collections' queries and the indexes serving them (created from
// these declarations, beside the unique one above).
var (
	ixLinkBySubject     = servedBy(collLinks, "FindLink", asc("issuer"), asc("subject"))
	ixLinksByUser       = servedBy(collLinks, "ListLinks", asc("user_id"), asc("created_at"), asc("_id"))
	ixExchangedExpiry   = servedBy(collExchanged, "ForgetTokensBefore", asc("expires_at"))
	ixAccountEventsByAt = servedBy(collAccountEvents, "ListAccountEvents", asc("user_id"), desc("at"), desc("_id"))
)

func errLinkNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy liên kết", "identity link not found"))
}

func (s *IdentityStore) links() *mongo.Collection { return s.db.db.Collection(collLinks) }

// AddLink stores an identity link.
func (s *IdentityStore) AddLink(ctx context.Context, l identity.Link) error {
	_, err := s.links().InsertOne(ctx, linkDoc{ID: l.ID, UserID: l.UserID, Issuer: l.Issuer, Subject: l.Subject, CreatedAt: l.CreatedAt.UTC()})
	if isDuplicate(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Danh tính này đã được liên kết", "this identity is already linked"))
	}
	return internal(err)
}

// FindLink returns the link of (issuer, subject).
func (s *IdentityStore) FindLink(ctx context.Context, issuer, subject string) (identity.Link, error) {
	var d linkDoc
	// index: ixLinkBySubject
	err := s.links().FindOne(ctx, bson.D{{Key: "issuer", Value: issuer}, {Key: "subject", Value: subject}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return identity.Link{}, errLinkNotFound()
	}
	if err != nil {
		return identity.Link{}, internal(err)
	}
	return d.link(), nil
}

// ListLinks returns a user's links, oldest first.
func (s *IdentityStore) ListLinks(ctx context.Context, userID string) ([]identity.Link, error) {
	// index: ixLinksByUser
	return findAll(ctx, s.links(), bson.D{{Key: "user_id", Value: userID}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(100),
		func(d linkDoc) identity.Link { return d.link() })
}

// DeleteLink removes one of a user's links.
func (s *IdentityStore) DeleteLink(ctx context.Context, userID, id string) error {
	res, err := s.links().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "user_id", Value: userID}})
	if err != nil {
		return internal(err)
	}
	if res.DeletedCount == 0 {
		return errLinkNotFound()
	}
	return nil
}

// RememberToken records a used token until it expires: the insert is
// atomic on _id; a memory already there is replaced only when it expired.
func (s *IdentityStore) RememberToken(ctx context.Context, key string, now, expiresAt time.Time) error {
	coll := s.db.db.Collection(collExchanged)
	_, err := coll.InsertOne(ctx, exchangedDoc{Key: key, ExpiresAt: expiresAt.UTC()})
	if err == nil {
		return nil
	}
	if !isDuplicate(err) {
		return internal(err)
	}
	res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "expires_at", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "expires_at", Value: expiresAt.UTC()}}}})
	if err != nil {
		return internal(err)
	}
	if res.MatchedCount == 0 {
		return apperr.ConflictOf(apperr.KindUsed, i18n.T("Token đã được dùng", "the token was already used"))
	}
	return nil
}

// ForgetTokensBefore removes the memories that expired before t.
func (s *IdentityStore) ForgetTokensBefore(ctx context.Context, t time.Time) (int, error) {
	// index: ixExchangedExpiry
	res, err := s.db.db.Collection(collExchanged).DeleteMany(ctx, bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: t.UTC()}}}})
	if err != nil {
		return 0, internal(err)
	}
	return int(res.DeletedCount), nil
}

// AddAccountEvent appends to an account's history.
func (s *IdentityStore) AddAccountEvent(ctx context.Context, e identity.AccountEvent) error {
	_, err := s.db.db.Collection(collAccountEvents).InsertOne(ctx, accountEventDoc{ID: e.ID, UserID: e.UserID, Kind: e.Kind, At: e.At.UTC(), Issuer: e.Issuer})
	return internal(err)
}

// ListAccountEvents returns an account's newest events first.
func (s *IdentityStore) ListAccountEvents(ctx context.Context, userID string, limit int) ([]identity.AccountEvent, error) {
	// index: ixAccountEventsByAt
	return findAll(ctx, s.db.db.Collection(collAccountEvents), bson.D{{Key: "user_id", Value: userID}},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)),
		func(d accountEventDoc) identity.AccountEvent {
			return identity.AccountEvent{ID: d.ID, UserID: d.UserID, Kind: d.Kind, At: d.At, Issuer: d.Issuer}
		})
}
