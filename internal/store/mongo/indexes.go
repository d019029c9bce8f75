package mongo

import (
	"fmt"
	"sort"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// indexUse declares the index that serves one query: its collection and its
// keys in order, each with the direction the query's sort walks it. The
// engine we test on (FerretDB) cannot explain a plan, so instead every
// query names its index where it is written, Open creates every declared
// index, and a test checks each exists with that key order on the server.
type indexUse struct {
	coll, query string
	keys        bson.D
}

// declaredIndexes is every indexUse, in declaration order.
var declaredIndexes []indexUse

// servedBy declares that query on coll is served by an index with keys (in
// order), and returns the keys, to pass as the query's hint.
func servedBy(coll, query string, keys ...bson.E) bson.D {
	declaredIndexes = append(declaredIndexes, indexUse{coll: coll, query: query, keys: keys})
	return keys
}

// asc and desc are one key of an index, walked up or down.
func asc(field string) bson.E  { return bson.E{Key: field, Value: 1} }
func desc(field string) bson.E { return bson.E{Key: field, Value: -1} }

// keyString is an index's keys as "a_1_b_-1", MongoDB's default name.
func keyString(keys bson.D) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s_%v", k.Key, k.Value))
	}
	return strings.Join(parts, "_")
}

// declaredModels returns one index model per distinct declared index that
// is not in have already (a unique index serves as well), by collection, in
// a stable order.
func declaredModels(have map[string][]mongo.IndexModel) map[string][]mongo.IndexModel {
	seen := map[string]bool{}
	for coll, models := range have {
		for _, m := range models {
			if keys, ok := m.Keys.(bson.D); ok {
				seen[coll+" "+keyString(keys)] = true
			}
		}
	}
	out := map[string][]mongo.IndexModel{}
	uses := append([]indexUse(nil), declaredIndexes...)
	sort.SliceStable(uses, func(a, b int) bool { return uses[a].coll < uses[b].coll })
	for _, u := range uses {
		if u.keys[0].Key == "_id" && len(u.keys) == 1 {
			continue // every collection has it
		}
		id := u.coll + " " + keyString(u.keys)
		if seen[id] {
			continue
		}
		seen[id] = true
		out[u.coll] = append(out[u.coll], mongo.IndexModel{Keys: u.keys})
	}
	return out
}
