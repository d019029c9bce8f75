package main

import "testing"

func TestParseMigrateTarget(t *testing.T) {
	for _, c := range []struct{ in, db string }{
		{"mongodb://db1:27017,db2:27017,db3/camaug_prod?replicaSet=rs0", "camaug_prod"},
		{"mongodb://user:p%40ss@127.0.0.1:27017/?authSource=admin", "camaug"},
		{"mongodb://127.0.0.1", "camaug"},
	} {
		_, db, err := parseMigrateTarget(c.in, "camaug")
		if err != nil || db != c.db {
			t.Errorf("%s: got %q, %v; want %q", c.in, db, err, c.db)
		}
	}
	for _, bad := range []string{"sqlite:/data", "http://db1/camaug", "mongodb://"} {
		if _, _, err := parseMigrateTarget(bad, "camaug"); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
