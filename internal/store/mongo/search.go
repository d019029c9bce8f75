package mongo

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// tokenPrefix is the longest word prefix stored in search_tokens. A search
// term of at most this many letters is one index lookup; a longer one looks
// up its first tokenPrefix letters and is then checked against the folded
// text (the SQLite store's FTS5 prefix index stops at 6 letters the same
// way and checks longer prefixes on the rows it finds).
const tokenPrefix = 12

// searchTokens returns every distinct prefix, 1 to tokenPrefix letters, of
// every word of a folded text (feedback.SearchText): a term matches a
// report when it starts one of its words, as in the SQLite store.
func searchTokens(folded string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, w := range strings.Fields(folded) {
		rs := []rune(w)
		for n := 1; n <= len(rs) && n <= tokenPrefix; n++ {
			if p := string(rs[:n]); !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// termsFilter makes each search term start a word of the report's folded
// text: an equality on the multikey search_tokens array, which an index
// serves (FerretDB has no text index, and an unanchored $regex none at
// all). A term longer than tokenPrefix also gets a regex on the folded text,
// only checked on the documents its token found.
func termsFilter(terms []string) bson.D {
	var filter bson.D
	for _, t := range terms {
		rs := []rune(t)
		if len(rs) > tokenPrefix {
			filter = append(filter, bson.E{Key: "search_tokens", Value: string(rs[:tokenPrefix])},
				bson.E{Key: "search", Value: bson.D{{Key: "$regex", Value: `(^| )` + regexp.QuoteMeta(t)}}})
			continue
		}
		filter = append(filter, bson.E{Key: "search_tokens", Value: t})
	}
	if len(filter) > 1 {
		// Several conditions on one field: $and keeps them all (a BSON
		// document with a repeated key keeps only one on some servers).
		and := bson.A{}
		for _, e := range filter {
			and = append(and, bson.D{e})
		}
		return bson.D{{Key: "$and", Value: and}}
	}
	return filter
}

// The search indexes: the first term's token, then status, then the
// page's sort. Only one key of a compound index may be an array, and the
// sort keys are not, so the server reads each page in order.
var (
	ixFeedSearch        = servedBy(collReports, "Feed: search terms", asc("search_tokens"), asc("status"), desc("_id"))
	ixQueueSearchAgency = servedBy(collReports, "Queue: search terms, agency", asc("search_tokens"), asc("agency_code"), asc("status"),
		desc("urgent"), asc("next_due"), asc("_id"))
	ixQueueSearch = servedBy(collReports, "Queue: search terms, every agency", asc("search_tokens"), asc("status"), desc("urgent"),
		asc("next_due"), asc("_id"))
	ixNoTokens = servedBy(collReports, "backfillSearchTokens: reports without tokens", asc("search_tokens"), asc("status"), desc("_id"))
)

// backfillSearchTokens gives the reports stored before search_tokens
// existed their tokens, a batch at a time; it only sets that field, so it
// is idempotent and safe while other instances serve.
func (db *DB) backfillSearchTokens(ctx context.Context) (int, error) {
	coll := db.db.Collection(collReports)
	total := 0
	for {
		cur, err := coll.Find(ctx, bson.D{{Key: "search_tokens", Value: bson.D{{Key: "$exists", Value: false}}}},
			options.Find().SetProjection(bson.D{{Key: "search", Value: 1}}).SetLimit(500).SetHint(ixNoTokens))
		if err != nil {
			return total, fmt.Errorf("mongo: reports without search tokens: %w", err)
		}
		var docs []struct {
			ID     string `bson:"_id"`
			Search string `bson:"search"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			return total, fmt.Errorf("mongo: reports without search tokens: %w", err)
		}
		if len(docs) == 0 {
			return total, nil
		}
		models := make([]mongo.WriteModel, 0, len(docs))
		for _, d := range docs {
			models = append(models, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: d.ID}}).
				SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "search_tokens", Value: searchTokens(d.Search)}}}}))
		}
		if _, err := coll.BulkWrite(ctx, models); err != nil {
			return total, fmt.Errorf("mongo: setting search tokens: %w", err)
		}
		total += len(docs)
	}
}
