package mongo

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"camaug/feedback"
	"camaug/internal/store/mongo/mongotest"
)

// missingIndexes returns each declared index that the server does not hold
// with exactly that key order and those directions.
func missingIndexes(ctx context.Context, t *testing.T, db *DB) []string {
	t.Helper()
	have := map[string]bool{}
	colls := map[string]bool{}
	for _, u := range declaredIndexes {
		colls[u.coll] = true
	}
	for coll := range colls {
		cur, err := db.db.Collection(coll).Indexes().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var specs []struct {
			Key bson.D `bson:"key"`
		}
		if err := cur.All(ctx, &specs); err != nil {
			t.Fatal(err)
		}
		for _, s := range specs {
			var keys bson.D
			for _, k := range s.Key {
				// Directions come back as int32, int64 or double.
				keys = append(keys, bson.E{Key: k.Key, Value: fmt.Sprint(k.Value)})
			}
			have[coll+" "+keyString(keys)] = true
		}
	}
	var missing []string
	for _, u := range declaredIndexes {
		if len(u.keys) == 1 && u.keys[0].Key == "_id" {
			continue // every collection has it (once it holds a document)
		}
		var keys bson.D
		for _, k := range u.keys {
			keys = append(keys, bson.E{Key: k.Key, Value: fmt.Sprint(k.Value)})
		}
		if !have[u.coll+" "+keyString(keys)] {
			missing = append(missing, fmt.Sprintf("%s (%s): %s", u.coll, u.query, keyString(u.keys)))
		}
	}
	return missing
}

// TestDeclaredIndexes checks that every index a query declares exists on
// the server with its key order and directions, and that a missing one is
// noticed.
func TestDeclaredIndexes(t *testing.T) {
	srv := mongotest.Start(t)
	ctx := context.Background()
	db, err := Open(ctx, srv.URI, Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(declaredIndexes) < 10 {
		t.Fatalf("%d declared indexes, want every report query's", len(declaredIndexes))
	}
	if missing := missingIndexes(ctx, t, db); len(missing) > 0 {
		t.Fatalf("declared indexes missing on the server:\n%s", strings.Join(missing, "\n"))
	}
	if err := db.db.Collection(collReports).Indexes().DropOne(ctx, keyString(ixByReporter)); err != nil {
		t.Fatal(err)
	}
	if missing := missingIndexes(ctx, t, db); len(missing) != 1 || !strings.Contains(missing[0], "ListByReporter") {
		t.Fatalf("after dropping the reporter index: missing %v, want it alone", missing)
	}
}

// TestQueryIndexes_Order checks, for every filter combination of the feed
// and the queues, that the index the query names starts with exactly its
// equality filters, then status, then the page's sort: the server reads a
// page in order and stops.
func TestQueryIndexes_Order(t *testing.T) {
	fields := func(keys bson.D) []string {
		var out []string
		for _, k := range keys {
			out = append(out, fmt.Sprintf("%s:%v", k.Key, k.Value))
		}
		return out
	}
	check := func(name string, keys bson.D, eq []string, sort []string) {
		t.Helper()
		got := fields(keys)
		if len(got) < len(eq)+len(sort) {
			t.Errorf("%s: index %v is shorter than its equality filters %v and sort %v", name, got, eq, sort)
			return
		}
		lead := map[string]bool{}
		for _, k := range got[:len(eq)] {
			lead[strings.TrimSuffix(k, ":1")] = true
		}
		for _, e := range eq {
			if !lead[e] {
				t.Errorf("%s: index %v does not start with the equality filters %v", name, got, eq)
			}
		}
		if tail := got[len(got)-len(sort):]; strings.Join(tail, ",") != strings.Join(sort, ",") {
			t.Errorf("%s: index %v does not end with the sort %v", name, got, sort)
		}
	}
	for mask := 0; mask < 8; mask++ {
		f := feedback.FeedFilter{Statuses: feedback.PublicStatuses}
		var eq []string
		for i, set := range []func(){func() { f.CategoryCode = "c" }, func() { f.AreaCode = "a" }, func() { f.AgencyCode = "g" }} {
			if mask&(1<<i) != 0 {
				set()
				eq = append(eq, []string{"category_code", "area_code", "agency_code"}[i])
			}
		}
		if len(eq) == 3 {
			eq = eq[:2] // the third is checked on the document
		}
		check(fmt.Sprintf("feed %v", eq), feedIndex(f), eq, []string{"status:1", "_id:-1"})
	}
	now := time.Now()
	for _, agency := range []string{"", "g"} {
		for _, category := range []string{"", "c"} {
			for _, overdue := range []*time.Time{nil, &now} {
				f := feedback.QueueFilter{AgencyCode: agency, CategoryCode: category, Statuses: feedback.OpenStatuses, DueBefore: overdue}
				var eq []string
				if agency != "" {
					eq = append(eq, "agency_code")
				}
				if category != "" {
					eq = append(eq, "category_code")
				}
				check(fmt.Sprintf("queue agency=%q category=%q overdue=%v", agency, category, overdue != nil), queueIndex(f),
					eq, []string{"status:1", "urgent:-1", "next_due:1", "_id:1"})
			}
		}
	}
}
