package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
)

// Retention of the documents that only expire by age.
const (
	// AttemptRetention keeps a rate-limit window's attempts for a week
	// after the window started: far longer than any window in use (the
	// longest default is an hour), so expiry never lowers a live count;
	// SweepAttempts removes ended windows sooner.
	AttemptRetention = 7 * 24 * time.Hour
	// DeliveredRetention keeps a delivered notification for 30 days, for
	// support questions ("did the webhook fire?"); undelivered and dead
	// entries stay until someone looks at them.
	DeliveredRetention = 30 * 24 * time.Hour
)

// ttlIndex is a date field after which (plus After) a document expires.
type ttlIndex struct {
	coll, field string
	after       time.Duration
}

// ttlIndexes are the expiring documents. Each is also checked on read by
// its reader (an expired token, session or key is never honoured, TTL or
// not: MongoDB's TTL monitor runs once a minute and may lag), and swept by
// SweepExpired or the identity service's sweeps where the server has no TTL.
var ttlIndexes = []ttlIndex{
	{collTokens, "expires_at", 0},
	{collSpent, "expires_at", 0},
	{collIdempotency, "expires_at", 0},
	{collSessions, "expires_at", 0},
	{collAttempts, "at", AttemptRetention},
	{collNotifications, "delivered_at", DeliveredRetention},
}

// ixExpiry declares each expiring field's index (TTL or plain), which
// serves the sweeps: ensureTTL creates them.
var ixExpiry = func() []bson.D {
	var out []bson.D
	for _, x := range ttlIndexes {
		out = append(out, servedBy(x.coll, "SweepExpired, sweeps, TTL: "+x.field, asc(x.field)))
	}
	return out
}()

// ensureTTL creates the TTL indexes, or, on a server without TTL (FerretDB
// v1 refuses expireAfterSeconds), plain indexes on the same fields for the
// sweep. It reports whether the server has TTL. An index on the same key
// created earlier without TTL (or with another expiry) is replaced:
// MongoDB refuses to create it again with other options.
func (db *DB) ensureTTL(ctx context.Context) (bool, error) {
	ttl := true
	for _, x := range ttlIndexes {
		keys := bson.D{{Key: x.field, Value: 1}}
		indexes := db.db.Collection(x.coll).Indexes()
		if ttl {
			_, err := indexes.CreateOne(ctx, mongo.IndexModel{Keys: keys, Options: options.Index().SetExpireAfterSeconds(int32(x.after / time.Second))})
			if isOptionsConflict(err) {
				if derr := indexes.DropOne(ctx, keyString(keys)); derr != nil {
					return false, fmt.Errorf("mongo: replacing the index on %s.%s by a TTL index: %w", x.coll, x.field, derr)
				}
				_, err = indexes.CreateOne(ctx, mongo.IndexModel{Keys: keys, Options: options.Index().SetExpireAfterSeconds(int32(x.after / time.Second))})
			}
			if err == nil {
				continue
			}
			if !isTTLRefused(err) {
				return false, fmt.Errorf("mongo: TTL index on %s.%s: %w", x.coll, x.field, err)
			}
			ttl = false
		}
		if _, err := indexes.CreateOne(ctx, mongo.IndexModel{Keys: keys}); err != nil {
			return false, fmt.Errorf("mongo: index on %s.%s: %w", x.coll, x.field, err)
		}
	}
	return ttl, nil
}

// isOptionsConflict reports MongoDB's IndexOptionsConflict (85) and
// IndexKeySpecsConflict (86): an index on these keys exists with other
// options.
func isOptionsConflict(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && (ce.Code == 85 || ce.Code == 86)
}

// isTTLRefused reports a server that does not support TTL indexes: FerretDB
// v1 answers expireAfterSeconds with NotImplemented (238). Any other error
// is a real failure and stops Open.
func isTTLRefused(err error) bool {
	var ce mongo.CommandError
	return errors.As(err, &ce) && ce.Code == 238
}

// HasTTL reports whether the server expires documents itself (TTL
// indexes). Without it, SweepExpired is what removes them.
func (db *DB) HasTTL() bool { return db.ttl }

// SweepExpired deletes the documents past their expiry at now that the
// identity service's own sweeps do not cover: refresh tokens and their
// spent markers, idempotency claims, and delivered notifications past
// their retention. It returns how many it deleted. On a server with TTL
// indexes it finds little left to do; it is harmless there.
func (db *DB) SweepExpired(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC()
	lte := func(t time.Time) bson.D { return bson.D{{Key: "$lte", Value: t}} }
	sweeps := []struct {
		coll   string
		filter bson.D
	}{
		{collTokens, bson.D{{Key: "expires_at", Value: lte(now)}}},
		{collSpent, bson.D{{Key: "expires_at", Value: lte(now)}}},
		{collIdempotency, bson.D{{Key: "expires_at", Value: lte(now)}}},
		// Claims from before expires_at existed last IdempotencyTTL.
		{collIdempotency, bson.D{{Key: "expires_at", Value: nil}, {Key: "created_at", Value: lte(now.Add(-feedback.IdempotencyTTL))}}},
		{collNotifications, bson.D{{Key: "delivered_at", Value: lte(now.Add(-DeliveredRetention))}}},
	}
	total := 0
	for _, s := range sweeps {
		// index: ixExpiry (each expiring field)
		res, err := db.db.Collection(s.coll).DeleteMany(ctx, s.filter)
		if err != nil {
			return total, internal(err)
		}
		total += int(res.DeletedCount)
	}
	return total, nil
}
