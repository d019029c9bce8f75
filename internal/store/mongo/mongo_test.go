package mongo_test

import (
	"context"
	"testing"

	"camaug/internal/store/mongo"
	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/storetest"
)

func open(t *testing.T, srv *mongotest.Server) *mongo.DB {
	t.Helper()
	db, err := mongo.Open(context.Background(), srv.URI, mongo.Options{Database: srv.Database})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		db := open(t, mongotest.Start(t))
		return storetest.Stores{Reference: db.Reference(), Identity: db.Identity(), Reports: db.Reports(), Media: db.Media(), Ratings: db.Ratings(),
			Surveys: db.Surveys(), Leases: db.Leases()}
	})
}

func TestOpen_IndexesTwice(t *testing.T) {
	srv := mongotest.Start(t)
	open(t, srv)
	db := open(t, srv) // ensuring indexes again must not fail
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_WriteConcern(t *testing.T) {
	srv := mongotest.Start(t)
	if _, err := mongo.Open(context.Background(), srv.URI, mongo.Options{Database: srv.Database, WriteConcern: "most"}); err == nil {
		t.Fatal(`write concern "most": got nil error, want one`)
	}
	db, err := mongo.Open(context.Background(), srv.URI, mongo.Options{Database: srv.Database, WriteConcern: "1"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestPing_ServerGone(t *testing.T) {
	srv := mongotest.Start(t)
	db := open(t, srv)
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 3e9)
	defer cancel()
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping with the server stopped: got nil, want an error")
	}
}

func TestRedact(t *testing.T) {
	got := mongo.Redact("mongodb://app:s3cret@db1:27017,db2:27017/camaug?replicaSet=rs0")
	if want := "mongodb://app@db1:27017,db2:27017/camaug?replicaSet=rs0"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
