package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/internal/lease"
)

// The collections that coordinate several instances (package lease). Each
// write that decides something is an insert under a unique _id; nothing
// relies on a filtered update being atomic, which FerretDB v1 does not
// guarantee.
const (
	collLeases    = "leases"    // _id "name#term": who holds a lease's term
	collClaims    = "claims"    // _id: a key claimed once (ClaimOnce)
	collInstances = "instances" // _id: an instance; until: its heartbeat's end
)

type leaseDoc struct {
	ID        string    `bson:"_id"`
	Name      string    `bson:"name"`
	Owner     string    `bson:"owner"`
	Term      int64     `bson:"term"`
	ExpiresAt time.Time `bson:"expires_at"`
}

// LeaseStore implements lease.Store.
type LeaseStore struct{ db *DB }

var _ lease.Store = (*LeaseStore)(nil)

// Leases returns the lease store.
func (db *DB) Leases() lease.Store { return &LeaseStore{db: db} }

func leaseID(name string, term int64) string { return fmt.Sprintf("%s#%d", name, term) }

// leaseIndexes serve TryLease's removal of a lease's old terms,
// LiveInstances and Sweep.
// The lease collections' queries and the indexes serving them.
var (
	ixLeaseTerms     = servedBy(collLeases, "TryLease: a lease's old terms", asc("name"), asc("term"))
	ixInstancesUntil = servedBy(collInstances, "LiveInstances, Sweep: heartbeats by end", asc("until"))
	ixClaimsAt       = servedBy(collClaims, "Sweep: old claims", asc("at"))
)

func leaseIndexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		collLeases:    {{Keys: bson.D{{Key: "name", Value: 1}, {Key: "term", Value: 1}}}},
		collInstances: {{Keys: bson.D{{Key: "until", Value: 1}}}},
		collClaims:    {{Keys: bson.D{{Key: "at", Value: 1}}}},
	}
}

// TryLease inserts the term's document; when it exists, the owner it names
// holds the term.
func (s *LeaseStore) TryLease(ctx context.Context, name, owner string, at time.Time, ttl time.Duration) (bool, error) {
	term := lease.Term(at, ttl)
	coll := s.db.db.Collection(collLeases)
	d := leaseDoc{ID: leaseID(name, term), Name: name, Owner: owner, Term: term, ExpiresAt: lease.TermEnd(term, ttl).UTC()}
	for range 3 {
		_, err := coll.InsertOne(ctx, d)
		if err == nil {
			// The terms before the last few are history: remove them here,
			// once per term, so they do not pile up.
			// index: ixLeaseTerms
			_, err := coll.DeleteMany(ctx, bson.D{{Key: "name", Value: name}, {Key: "term", Value: bson.D{{Key: "$lt", Value: term - 2}}}})
			return true, internal(err)
		}
		if !isDuplicate(err) {
			return false, internal(err)
		}
		var held leaseDoc
		err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: d.ID}}).Decode(&held)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // released meanwhile: try again
		}
		if err != nil {
			return false, internal(err)
		}
		return held.Owner == owner, nil
	}
	return false, nil
}

// ReleaseLease deletes the term's document if owner holds it. The _id
// cannot be inserted by anyone else while it exists, so the filter on the
// owner needs no atomicity.
func (s *LeaseStore) ReleaseLease(ctx context.Context, name, owner string, at time.Time, ttl time.Duration) error {
	_, err := s.db.db.Collection(collLeases).DeleteOne(ctx, bson.D{{Key: "_id", Value: leaseID(name, lease.Term(at, ttl))}, {Key: "owner", Value: owner}})
	return internal(err)
}

// ClaimOnce inserts key into the claims collection.
func (s *LeaseStore) ClaimOnce(ctx context.Context, key string, at time.Time) (bool, error) {
	return s.db.claimOnce(ctx, key, at)
}

func (db *DB) claimOnce(ctx context.Context, key string, at time.Time) (bool, error) {
	_, err := db.db.Collection(collClaims).InsertOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "at", Value: at.UTC()}})
	if isDuplicate(err) {
		return false, nil
	}
	return err == nil, internal(err)
}

// Heartbeat upserts the instance's own document: no other instance writes
// it, so the upsert races with nobody.
func (s *LeaseStore) Heartbeat(ctx context.Context, instance string, until time.Time) error {
	_, err := s.db.db.Collection(collInstances).UpdateOne(ctx, bson.D{{Key: "_id", Value: instance}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "until", Value: until.UTC()}}}}, options.UpdateOne().SetUpsert(true))
	return internal(err)
}

// Leave deletes the instance's heartbeat.
func (s *LeaseStore) Leave(ctx context.Context, instance string) error {
	_, err := s.db.db.Collection(collInstances).DeleteOne(ctx, bson.D{{Key: "_id", Value: instance}})
	return internal(err)
}

// LiveInstances returns the instances whose heartbeat lasts past now.
func (s *LeaseStore) LiveInstances(ctx context.Context, now time.Time) ([]string, error) {
	// index: ixInstancesUntil
	return findAll(ctx, s.db.db.Collection(collInstances), bson.D{{Key: "until", Value: bson.D{{Key: "$gt", Value: now.UTC()}}}},
		options.Find().SetSort(bson.D{{Key: "until", Value: 1}}), func(d struct {
			ID string `bson:"_id"`
		}) string {
			return d.ID
		})
}

// Sweep deletes old claims and ended heartbeats.
func (s *LeaseStore) Sweep(ctx context.Context, before time.Time) (int, error) {
	// index: ixClaimsAt
	c, err := s.db.db.Collection(collClaims).DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: before.UTC()}}}})
	if err != nil {
		return 0, internal(err)
	}
	// index: ixInstancesUntil
	i, err := s.db.db.Collection(collInstances).DeleteMany(ctx, bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: before.UTC()}}}})
	if err != nil {
		return int(c.DeletedCount), internal(err)
	}
	return int(c.DeletedCount + i.DeletedCount), nil
}

// inTransaction runs fn in a transaction (only where db.txn: a replica set
// or a sharded cluster). Errors fn returns come back as they are.
func (db *DB) inTransaction(ctx context.Context, fn func(context.Context) error) error {
	sess, err := db.client.StartSession()
	if err != nil {
		return internal(err)
	}
	defer sess.EndSession(context.WithoutCancel(ctx))
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) { return nil, fn(ctx) })
	return internal(err)
}

// supportsTransactions asks the server whether it is a replica set member
// or a mongos: the deployments with multi-document transactions. FerretDB
// v1 is neither.
func (db *DB) supportsTransactions(ctx context.Context) bool {
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	if err := db.db.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		return false
	}
	return hello.SetName != "" || hello.Msg == "isdbgrid"
}

// HasPending reports whether a response has been left uncounted for longer
// than RepairPending waits (a crash between storing and counting it), so
// the server looks for a moment to repair only when there is work.
func (s *SurveyStore) HasPending(ctx context.Context) (bool, error) {
	// index: ixPendingResponses
	err := s.coll(collResponses).FindOne(ctx,
		bson.D{{Key: "pending", Value: true}, {Key: "submitted_at", Value: bson.D{{Key: "$lt", Value: time.Now().Add(-pendingAge).UTC()}}}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return err == nil, internal(err)
}
