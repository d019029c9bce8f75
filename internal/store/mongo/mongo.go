// Package mongo implements the service's stores on MongoDB through the
// official driver (go.mongodb.org/mongo-driver/v2). It sticks to what
// FerretDB v1 also serves: CRUD, $set/$inc/$push, upserts, unique and
// compound indexes; FerretDB has no transactions, so multi-document changes
// are made atomic by writing new documents and then flipping one pointer
// document, or are ordered so that a crash between steps is finished later
// (see ReportStore.Transition, which uses a transaction where the server
// has them). Decisions between instances rest on inserts under a unique
// key (leases.go), never on a filtered update being atomic.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// WriteConcern is "majority" or a number of nodes ("1"); when empty,
	// the URI's w option, else "majority".
	WriteConcern string
	// AllowWeakWrites lets Open accept a write concern weaker than
	// "majority" (CAMAUG_MONGODB_ALLOW_WEAK_WRITES, for development): a
	// write acknowledged by the primary alone is lost when it fails over
	// before a secondary copied it.
	AllowWeakWrites bool
	// Timeout bounds every operation (the driver's timeoutMS): a stuck
	// primary gives EUNAVAILABLE, not a hung request. When zero, the URI's
	// timeoutMS, else DefaultTimeout.
	Timeout time.Duration
	// Logger receives the warnings Open gives (nil: slog.Default()).
	Logger *slog.Logger
}

// DefaultTimeout bounds each operation when neither Options.Timeout nor the
// URI's timeoutMS says otherwise: long enough for a replica set election
// (about 10 s at worst, usually 2 s, is not waited for: the client retries),
// short enough that a phone gets its 503 before it gives up itself.
const DefaultTimeout = 5 * time.Second

// AllowWeakWritesVar is the variable that lets a deployment run with a
// write concern weaker than majority.
const AllowWeakWritesVar = "CAMAUG_MONGODB_ALLOW_WEAK_WRITES"

// DB is a connected database.
type DB struct {
	client  *mongo.Client
	db      *mongo.Database
	timeout time.Duration
	ttl     bool // the server has TTL indexes
	// txn is set when the server runs multi-document transactions.
	txn bool
}

// Open connects, checks the server answers, and ensures indexes.
//
// Reads go to the primary (whatever the URI's readPreference says) and
// writes wait for a majority: a person who just wrote reads their write back
// on any instance, even right after a failover, without a causally
// consistent session (which would have to travel between the stateless
// instances a person's requests land on).
func Open(ctx context.Context, uri string, opts Options) (*DB, error) {
	if opts.Database == "" {
		opts.Database = "camaug"
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	copts := options.Client().ApplyURI(uri).SetServerSelectionTimeout(10 * time.Second)
	switch opts.WriteConcern {
	case "":
		if copts.WriteConcern == nil || copts.WriteConcern.W == nil {
			copts.SetWriteConcern(writeconcern.Majority())
		}
	case "majority":
		copts.SetWriteConcern(writeconcern.Majority())
	default:
		var w int
		if _, err := fmt.Sscanf(opts.WriteConcern, "%d", &w); err != nil || w < 0 || fmt.Sprint(w) != opts.WriteConcern {
			return nil, fmt.Errorf("mongo: write concern must be \"majority\" or a number, got %q", opts.WriteConcern)
		}
		wc := &writeconcern.WriteConcern{W: w}
		if copts.WriteConcern != nil {
			wc.Journal = copts.WriteConcern.Journal
		}
		copts.SetWriteConcern(wc)
	}
	if wc := copts.WriteConcern; wc.W != "majority" || (wc.Journal != nil && !*wc.Journal) {
		desc := fmt.Sprintf("w=%v", wc.W)
		if wc.Journal != nil && !*wc.Journal {
			desc += ", j=false"
		}
		if !opts.AllowWeakWrites {
			return nil, fmt.Errorf("mongo: the write concern (%s) is weaker than majority, so an acknowledged write can be lost when the primary fails over; "+
				"use w=majority, or set %s=true to accept that (development only)", desc, AllowWeakWritesVar)
		}
		log.Warn("MongoDB write concern is weaker than majority: acknowledged writes can be lost on failover ("+AllowWeakWritesVar+"=true)", "write_concern", desc)
	}
	copts.SetReadPreference(readpref.Primary())
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
		if copts.Timeout != nil && *copts.Timeout > 0 {
			timeout = *copts.Timeout
		}
	}
	copts.SetTimeout(timeout)
	client, err := mongo.Connect(copts)
	if err != nil {
		return nil, fmt.Errorf("mongo: connect to %s: %w", Redact(uri), err)
	}
	db := &DB{client: client, db: client.Database(opts.Database), timeout: timeout}
	if err := client.Ping(ctx, readpref.Primary()); err != nil {
		client.Disconnect(context.Background())
		return nil, fmt.Errorf("mongo: ping %s: %w", Redact(uri), err)
	}
	if err := db.ensureIndexes(ctx); err != nil {
		client.Disconnect(context.Background())
		return nil, err
	}
	db.txn = db.supportsTransactions(ctx)
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
	for _, more := range []map[string][]mongo.IndexModel{reportIndexes(), mediaIndexes(), surveyIndexes(), notificationIndexes(), ratingIndexes(), linkIndexes(), leaseIndexes(), oidcIndexes()} {
		for coll, models := range more {
			indexes[coll] = append(indexes[coll], models...)
		}
	}
	indexes[collReference] = []mongo.IndexModel{{Keys: bson.D{{Key: "rev", Value: 1}, {Key: "kind", Value: 1}, {Key: "code", Value: 1}}, Options: options.Index().SetUnique(true)}}
	// The TTL indexes are made apart (ensureTTL); a query may use them.
	have := map[string][]mongo.IndexModel{}
	for coll, models := range indexes {
		have[coll] = append([]mongo.IndexModel(nil), models...)
	}
	for _, x := range ttlIndexes {
		have[x.coll] = append(have[x.coll], mongo.IndexModel{Keys: bson.D{{Key: x.field, Value: 1}}})
	}
	for coll, models := range declaredModels(have) {
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
	ttl, err := db.ensureTTL(ctx)
	if err != nil {
		return err
	}
	db.ttl = ttl
	if _, err := db.backfillSearchTokens(ctx); err != nil {
		return err
	}
	// The pointer to the active reference revision always exists.
	_, err = db.db.Collection(collMeta).UpdateOne(ctx, bson.D{{Key: "_id", Value: metaReference}},
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
