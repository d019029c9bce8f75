package mongo

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/ids"
	"camaug/internal/store/mongo/mongotest"
)

// TestSearchTokens_Backfill: a report stored before search tokens existed
// is found by search once the store opens again, and opening a third time
// changes nothing.
func TestSearchTokens_Backfill(t *testing.T) {
	srv := mongotest.Start(t)
	ctx := context.Background()
	db, err := Open(ctx, srv.URI, Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	p := feedback.Point{Lat: 9.177, Lng: 105.15}
	r := &feedback.Report{ID: ids.New(), TrackingCode: feedback.NewTrackingCode(), ReporterID: "u1", CategoryCode: "khac", AreaCode: "a",
		AgencyCode: "g", Title: "Cống nghẹt", Description: "Cống thoát nước nghẹt rác", Location: p, Cell: feedback.Geohash(p, 7),
		Locale: i18n.VI, Status: feedback.StatusDispatched, CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := db.Reports().CreateReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.Collection(collReports).UpdateOne(ctx, bson.D{{Key: "_id", Value: r.ID}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "search_tokens", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	search := func(db *DB) []feedback.Report {
		list, _, err := db.Reports().Feed(ctx, feedback.FeedFilter{Statuses: feedback.PublicStatuses, Terms: feedback.SearchTerms("nghet"), Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if got := search(db); len(got) != 0 {
		t.Fatalf("a report without tokens was found (%d): the test does not test the backfill", len(got))
	}
	db.Close()
	for i := 0; i < 2; i++ {
		db, err := Open(ctx, srv.URI, Options{Database: srv.Database})
		if err != nil {
			t.Fatal(err)
		}
		if got := search(db); len(got) != 1 || got[0].ID != r.ID {
			t.Fatalf("open %d: search found %d reports, want the backfilled one", i+2, len(got))
		}
		var d reportDoc
		if err := db.db.Collection(collReports).FindOne(ctx, bson.D{{Key: "_id", Value: r.ID}}).Decode(&d); err != nil {
			t.Fatal(err)
		}
		if strings.Join(d.SearchTokens, " ") != strings.Join(searchTokens(d.Search), " ") {
			t.Fatalf("tokens %v, want %v", d.SearchTokens, searchTokens(d.Search))
		}
		db.Close()
	}
}

func TestSearchTokens(t *testing.T) {
	got := strings.Join(searchTokens(feedback.SearchText("Ổ gà ổ GÀ, khôngthểđọcđược")), " ")
	want := "o g ga k kh kho khon khong khongt khongth khongthe khongthed khongthedo khongthedoc khongthedocd"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
