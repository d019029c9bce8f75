package mongo

import (
	"context"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"camaug/feedback"
	"camaug/internal/identity"
	"camaug/internal/store/mongo/mongotest"
)

// TestExpiry_IndexesAndSweep: on a server without TTL indexes (FerretDB) Open
// still starts, says so, and indexes every expiring field for the sweep;
// SweepExpired then removes exactly the expired documents.
func TestExpiry_IndexesAndSweep(t *testing.T) {
	srv := mongotest.Start(t)
	ctx := context.Background()
	db, err := Open(ctx, srv.URI, Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if mongotestIsFerret() && db.HasTTL() {
		t.Fatal("HasTTL on FerretDB v1, which has no TTL indexes")
	}
	for _, x := range ttlIndexes {
		cur, err := db.db.Collection(x.coll).Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var specs []struct {
			Key bson.D `bson:"key"`
		}
		if err := cur.All(ctx, &specs); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range specs {
			found = found || (len(s.Key) == 1 && s.Key[0].Key == x.field)
		}
		if !found {
			t.Errorf("no index on %s.%s for its expiry", x.coll, x.field)
		}
	}

	now := time.Now().UTC()
	ids := db.Identity()
	for hash, exp := range map[string]time.Time{"expired": now.Add(-time.Minute), "live": now.Add(time.Hour)} {
		if err := ids.AddRefreshToken(ctx, identity.RefreshToken{Hash: hash, FamilyID: "f-" + hash, UserID: "u", CreatedAt: now.Add(-time.Hour), ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		if _, err := ids.UseRefreshToken(ctx, hash); err != nil {
			t.Fatal(err)
		}
	}
	reports := db.Reports()
	for key, created := range map[string]time.Time{"old": now.Add(-2 * time.Hour), "new": now} {
		if _, err := reports.ClaimIdempotency(ctx, feedback.Idempotency{Scope: "u", Key: key, RequestHash: "h", ResourceID: "r",
			CreatedAt: created, ExpiresAt: created.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// A claim from before expires_at existed, older than IdempotencyTTL.
	if _, err := db.db.Collection(collIdempotency).InsertOne(ctx, bson.D{{Key: "_id", Value: "u|legacy"}, {Key: "scope", Value: "u"},
		{Key: "key", Value: "legacy"}, {Key: "created_at", Value: now.Add(-feedback.IdempotencyTTL - time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	delivered := now.Add(-DeliveredRetention - time.Hour)
	recent := now.Add(-time.Hour)
	for id, at := range map[string]*time.Time{"n-old": &delivered, "n-recent": &recent, "n-pending": nil} {
		if _, err := db.db.Collection(collNotifications).InsertOne(ctx, notificationDoc{ID: id, Pending: at == nil, DeliveredAt: at}); err != nil {
			t.Fatal(err)
		}
	}

	n, err := db.SweepExpired(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	// The expired token, its spent marker, the expired and the legacy
	// claims, the old delivered notification (on a server with TTL its
	// monitor may have removed some already).
	if n != 5 && !(db.HasTTL() && n < 5) {
		t.Errorf("swept %d documents, want 5", n)
	}
	count := func(coll string) int64 {
		n, err := db.db.Collection(coll).CountDocuments(ctx, bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for coll, want := range map[string]int64{collTokens: 1, collSpent: 1, collIdempotency: 1, collNotifications: 2} {
		if got := count(coll); got != want {
			t.Errorf("%s after the sweep: %d documents, want %d", coll, got, want)
		}
	}
	if n, err := db.SweepExpired(ctx, now); err != nil || n != 0 {
		t.Errorf("a second sweep: %d, %v; want nothing left to do", n, err)
	}
}

// mongotestIsFerret reports whether the tests run on the embedded FerretDB
// rather than on MONGODB_TEST_URI.
func mongotestIsFerret() bool { return mongotestURI() == "" }

func mongotestURI() string { return os.Getenv("MONGODB_TEST_URI") }
