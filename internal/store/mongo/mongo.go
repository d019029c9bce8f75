// Package mongo implements the service's stores on MongoDB through the
// official driver (go.mongodb.org/mongo-driver/v2). It sticks to what
// FerretDB v1 also serves: CRUD, $set/$inc/$push, upserts, unique and
// compound indexes; no transactions, so multi-document changes are made
// atomic by writing new documents and then flipping one pointer document.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"camaug/feedback"
	"camaug/internal/apperr"
)

// Options configure Open.
type Options struct {
	// Database is the database name ("camaug" when empty).
	Database string
	// WriteConcern is "majority" (the default) or a number of nodes ("1").
	WriteConcern string
}

// DB is a connected database.
type DB struct {
	client *mongo.Client
	db     *mongo.Database
}

// Open connects, checks the server answers, and ensures indexes.
func Open(ctx context.Context, uri string, opts Options) (*DB, error) {
	if opts.Database == "" {
		opts.Database = "camaug"
	}
	copts := options.Client().ApplyURI(uri).SetServerSelectionTimeout(10 * time.Second)
	switch opts.WriteConcern {
	case "", "majority":
		copts.SetWriteConcern(writeconcern.Majority())
	default:
		var w int
		if _, err := fmt.Sscanf(opts.WriteConcern, "%d", &w); err != nil || w < 0 {
			return nil, fmt.Errorf("mongo: write concern must be \"majority\" or a number, got %q", opts.WriteConcern)
		}
		copts.SetWriteConcern(&writeconcern.WriteConcern{W: w})
	}
	client, err := mongo.Connect(copts)
	if err != nil {
		return nil, fmt.Errorf("mongo: connect to %s: %w", Redact(uri), err)
	}
	db := &DB{client: client, db: client.Database(opts.Database)}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongo: ping %s: %w", Redact(uri), err)
	}
	if err := db.ensureIndexes(ctx); err != nil {
		client.Disconnect(context.Background())
		return nil, err
	}
	return db, nil
}

// Redact returns uri without its password, for logs.
func Redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "mongodb://(unparsable URI)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// Database returns the database name.
func (db *DB) Database() string { return db.db.Name() }

// Close disconnects.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return db.client.Disconnect(ctx)
}

// Ping checks that the primary answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.client.Ping(ctx, readpref.Primary()); err != nil {
		return apperr.Unavailable(err)
	}
	return nil
}

func (db *DB) ensureIndexes(ctx context.Context) error {
	indexes := identityIndexes()
	for _, more := range []map[string][]mongo.IndexModel{reportIndexes(), mediaIndexes(), surveyIndexes(), notificationIndexes(), ratingIndexes(), linkIndexes(), oidcIndexes()} {
		for coll, models := range more {
			indexes[coll] = append(indexes[coll], models...)
		}
	}
	indexes[collReference] = []mongo.IndexModel{{Keys: bson.D{{Key: "rev", Value: 1}, {Key: "kind", Value: 1}, {Key: "code", Value: 1}}, Options: options.Index().SetUnique(true)}}
	for coll, models := range declaredModels(indexes) {
		indexes[coll] = append(indexes[coll], models...)
	}
	for coll, models := range indexes {
		// One at a time: FerretDB v1 panics when one createIndexes
		// command names several indexes that all exist already.
		for _, m := range models {
			if _, err := db.db.Collection(coll).Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("mongo: indexes on %s: %w", coll, err)
			}
		}
	}
	// The pointer to the active reference revision always exists.
	_, err := db.db.Collection(collMeta).UpdateOne(ctx, bson.D{{Key: "_id", Value: metaReference}},
		bson.D{{Key: "$setOnInsert", Value: bson.D{{Key: "rev", Value: initialRev}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil && !isDuplicate(err) {
		return fmt.Errorf("mongo: reference pointer: %w", err)
	}
	return nil
}

// findAll runs a query and converts every document with conv.
func findAll[D, T any](ctx context.Context, coll *mongo.Collection, filter any, opts *options.FindOptionsBuilder, conv func(D) T) ([]T, error) {
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, internal(err)
	}
	defer cur.Close(ctx)
	out := []T{}
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			return nil, internal(err)
		}
		out = append(out, conv(d))
	}
	return out, internal(cur.Err())
}

// isDuplicate reports a unique index violation. FerretDB v1 reports one hit
// by a replace or update as an InternalError naming the SQLite constraint
// rather than as error 11000, so that text is recognised too.
func isDuplicate(err error) bool {
	return err != nil && (mongo.IsDuplicateKeyError(err) || strings.Contains(err.Error(), "UNIQUE constraint failed"))
}

// internal turns a driver error into an apperr: unreachable servers become
// EUNAVAILABLE, everything else EINTERNAL.
func internal(err error) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if mongo.IsNetworkError(err) || mongo.IsTimeout(err) || errors.Is(err, mongo.ErrClientDisconnected) {
		return apperr.Unavailable(err)
	}
	return apperr.Internal(err)
}

// Reference returns the reference data store.
func (db *DB) Reference() feedback.ReferenceStore { return &ReferenceStore{db: db} }
