package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// Reference data lives in one collection, every document tagged with the
// revision it belongs to. A pointer document in collMeta names the active
// revision. Replace writes a whole new revision and then flips the pointer
// with a compare-and-swap: one single-document write, so readers see the
// old set or the new one, never a mix, without transactions.
const (
	collReference = "reference"
	collMeta      = "meta"
	metaReference = "reference"
	initialRev    = "0"
	calendarKind  = "calendar"
	calendarCode  = "default"
)

type refDoc struct {
	ID   string   `bson:"_id"`
	Rev  string   `bson:"rev"`
	Kind string   `bson:"kind"`
	Code string   `bson:"code"`
	Doc  bson.Raw `bson:"doc"`
	// Boundary holds an area's GeoJSON geometry as text: FerretDB v1 stores
	// no nested arrays, and nothing queries boundaries in the database
	// (point-in-area is computed in Go).
	Boundary string `bson:"boundary,omitempty"`
}

// ReferenceStore implements feedback.ReferenceStore.
type ReferenceStore struct{ db *DB }

var _ feedback.ReferenceStore = (*ReferenceStore)(nil)

// ixRefRev is the unique (rev, kind, code) index: a revision's entries in
// kind and code order, one kind's in code order, and a revision to drop.
var ixRefRev = servedBy(collReference, "loadRev, List, Replace", asc("rev"), asc("kind"), asc("code"))

func (s *ReferenceStore) coll() *mongo.Collection { return s.db.db.Collection(collReference) }

// activeRev returns the active revision.
func (s *ReferenceStore) activeRev(ctx context.Context) (string, error) {
	var m struct {
		Rev string `bson:"rev"`
	}
	err := s.db.db.Collection(collMeta).FindOne(ctx, bson.D{{Key: "_id", Value: metaReference}}).Decode(&m)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return initialRev, nil
	}
	if err != nil {
		return "", internal(err)
	}
	return m.Rev, nil
}

// stillActive returns ECONFLICT when the active revision moved away from rev
// while a single-entity change was being written to it.
func (s *ReferenceStore) stillActive(ctx context.Context, rev string) error {
	now, err := s.activeRev(ctx)
	if err != nil {
		return err
	}
	if now != rev {
		return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Dữ liệu danh mục vừa được thay thế; hãy thử lại",
			"the reference data was replaced meanwhile; try again"))
	}
	return nil
}

func docID(rev, kind, code string) string { return rev + "|" + kind + "|" + code }

// toBSON converts a value to BSON through its JSON form, so the domain's
// JSON field names are the stored field names and the domain needs no BSON
// tags.
func toBSON(v any) (bson.Raw, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var d bson.D
	if err := bson.UnmarshalExtJSON(j, false, &d); err != nil {
		return nil, err
	}
	return bson.Marshal(d)
}

func fromBSON(raw bson.Raw, v any) error {
	j, err := bson.MarshalExtJSON(raw, false, false)
	if err != nil {
		return err
	}
	return json.Unmarshal(j, v)
}

func newRefDoc(rev, kind, code string, v any) (refDoc, error) {
	var boundary string
	if a, ok := v.(feedback.Area); ok {
		boundary, a.Boundary = string(a.Boundary), nil
		v = a
	}
	raw, err := toBSON(v)
	if err != nil {
		return refDoc{}, err
	}
	return refDoc{ID: docID(rev, kind, code), Rev: rev, Kind: kind, Code: code, Doc: raw, Boundary: boundary}, nil
}

// decodeDoc decodes a stored entity into v, putting an area's boundary back.
func decodeDoc(d refDoc, v any) error {
	if err := fromBSON(d.Doc, v); err != nil {
		return err
	}
	if a, ok := v.(*feedback.Area); ok && d.Boundary != "" {
		a.Boundary = json.RawMessage(d.Boundary)
	}
	return nil
}

// Categories returns the category store.
func (s *ReferenceStore) Categories() feedback.EntityStore[feedback.Category] {
	return entityStore[feedback.Category]{s}
}

// Agencies returns the agency store.
func (s *ReferenceStore) Agencies() feedback.EntityStore[feedback.Agency] {
	return entityStore[feedback.Agency]{s}
}

// Areas returns the area store.
func (s *ReferenceStore) Areas() feedback.EntityStore[feedback.Area] {
	return entityStore[feedback.Area]{s}
}

// RoutingRules returns the routing rule store.
func (s *ReferenceStore) RoutingRules() feedback.EntityStore[feedback.RoutingRule] {
	return entityStore[feedback.RoutingRule]{s}
}

// Calendar returns the stored calendar.
func (s *ReferenceStore) Calendar(ctx context.Context) (feedback.Calendar, error) {
	var c feedback.Calendar
	rev, err := s.activeRev(ctx)
	if err != nil {
		return c, err
	}
	var d refDoc
	err = s.coll().FindOne(ctx, bson.D{{Key: "_id", Value: docID(rev, calendarKind, calendarCode)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return c, feedback.ErrNoCalendar()
	}
	if err != nil {
		return c, internal(err)
	}
	return c, internal(fromBSON(d.Doc, &c))
}

// SetCalendar stores the calendar, replacing any other.
func (s *ReferenceStore) SetCalendar(ctx context.Context, c feedback.Calendar) error {
	if err := c.Validate(); err != nil {
		return err
	}
	rev, err := s.activeRev(ctx)
	if err != nil {
		return err
	}
	d, err := newRefDoc(rev, calendarKind, calendarCode, c)
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = s.coll().ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, d, options.Replace().SetUpsert(true))
	if err != nil {
		return internal(err)
	}
	return s.stillActive(ctx, rev)
}

// Load returns a consistent snapshot: it reads the active revision, then
// its documents, and starts again if the revision moved meanwhile.
func (s *ReferenceStore) Load(ctx context.Context) (*feedback.Reference, error) {
	for attempt := 0; attempt < 5; attempt++ {
		rev, err := s.activeRev(ctx)
		if err != nil {
			return nil, err
		}
		ref, err := s.loadRev(ctx, rev)
		if err != nil {
			return nil, err
		}
		if now, err := s.activeRev(ctx); err != nil {
			return nil, err
		} else if now == rev {
			return ref, nil
		}
	}
	return nil, apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Dữ liệu danh mục đang được thay thế; hãy thử lại",
		"the reference data is being replaced; try again"))
}

func (s *ReferenceStore) loadRev(ctx context.Context, rev string) (*feedback.Reference, error) {
	cur, err := s.coll().Find(ctx, bson.D{{Key: "rev", Value: rev}},
		options.Find().SetSort(bson.D{{Key: "kind", Value: 1}, {Key: "code", Value: 1}}).SetHint(ixRefRev))
	if err != nil {
		return nil, internal(err)
	}
	defer cur.Close(ctx)
	ref := &feedback.Reference{}
	for cur.Next(ctx) {
		var d refDoc
		if err := cur.Decode(&d); err != nil {
			return nil, internal(err)
		}
		if err := decodeInto(ref, d); err != nil {
			return nil, apperr.Internal(err)
		}
	}
	return ref, internal(cur.Err())
}

func decodeInto(ref *feedback.Reference, d refDoc) error {
	var err error
	switch d.Kind {
	case feedback.Category{}.RefKind():
		ref.Categories, err = appendDecoded(ref.Categories, d)
	case feedback.Agency{}.RefKind():
		ref.Agencies, err = appendDecoded(ref.Agencies, d)
	case feedback.Area{}.RefKind():
		ref.Areas, err = appendDecoded(ref.Areas, d)
	case feedback.RoutingRule{}.RefKind():
		ref.RoutingRules, err = appendDecoded(ref.RoutingRules, d)
	case calendarKind:
		err = fromBSON(d.Doc, &ref.Calendar)
	default:
		err = fmt.Errorf("unknown reference kind %q", d.Kind)
	}
	return err
}

func appendDecoded[T any](list []T, d refDoc) ([]T, error) {
	var v T
	if err := decodeDoc(d, &v); err != nil {
		return list, err
	}
	return append(list, v), nil
}

// newRev returns a revision that sorts after every revision made before it
// (on machines with sane clocks) and never collides.
func newRev() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%016x-%s", time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// Replace writes ref as a new revision, flips the pointer to it, and
// deletes older revisions. A failure before the flip leaves the old data
// active and untouched.
func (s *ReferenceStore) Replace(ctx context.Context, ref *feedback.Reference) error {
	old, err := s.activeRev(ctx)
	if err != nil {
		return err
	}
	rev := newRev()
	var docs []any
	add := func(kind, code string, v any) error {
		d, err := newRefDoc(rev, kind, code, v)
		docs = append(docs, d)
		return err
	}
	for _, v := range ref.Categories {
		err = errors.Join(err, add(v.RefKind(), v.Code, v))
	}
	for _, v := range ref.Agencies {
		err = errors.Join(err, add(v.RefKind(), v.Code, v))
	}
	for _, v := range ref.Areas {
		err = errors.Join(err, add(v.RefKind(), v.Code, v))
	}
	for _, v := range ref.RoutingRules {
		err = errors.Join(err, add(v.RefKind(), v.Code, v))
	}
	if !ref.Calendar.IsZero() {
		err = errors.Join(err, add(calendarKind, calendarCode, ref.Calendar))
	}
	if err != nil {
		return apperr.Internal(err)
	}
	discard := func() {
		// Best effort: an orphan revision is invisible and the next
		// Replace removes it.
		s.coll().DeleteMany(context.WithoutCancel(ctx), bson.D{{Key: "rev", Value: rev}}) // index: ixRefRev
	}
	if len(docs) > 0 {
		if _, err := s.coll().InsertMany(ctx, docs); err != nil {
			discard()
			if isDuplicate(err) {
				return apperr.ConflictOf(apperr.KindExists, i18n.T("Dữ liệu có mã bị trùng", "the data holds a duplicate code"))
			}
			return internal(err)
		}
	}
	res, err := s.db.db.Collection(collMeta).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: metaReference}, {Key: "rev", Value: old}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "rev", Value: rev}}}})
	if err != nil {
		discard()
		return internal(err)
	}
	if res.MatchedCount == 0 {
		discard()
		return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Dữ liệu danh mục vừa được thay thế bởi thao tác khác; hãy thử lại",
			"the reference data was replaced by another change meanwhile; try again"))
	}
	// Revisions made before this one are dead: the old active one and the
	// orphans of failed attempts. A later revision, if any, belongs to a
	// Replace still in flight and is left alone.
	if _, err := s.coll().DeleteMany(ctx, bson.D{{Key: "rev", Value: bson.D{{Key: "$lt", Value: rev}}}}); err != nil { // index: ixRefRev
		return internal(err)
	}
	return nil
}

// entityStore keeps one kind of entity in the active revision.
type entityStore[T feedback.Entity] struct{ s *ReferenceStore }

func (e entityStore[T]) kind() string {
	var zero T
	return zero.RefKind()
}

func (e entityStore[T]) Create(ctx context.Context, v T) error {
	if err := v.Validate(); err != nil {
		return err
	}
	rev, err := e.s.activeRev(ctx)
	if err != nil {
		return err
	}
	d, err := newRefDoc(rev, e.kind(), v.RefKey(), v)
	if err != nil {
		return apperr.Internal(err)
	}
	if _, err := e.s.coll().InsertOne(ctx, d); err != nil {
		if isDuplicate(err) {
			return feedback.ErrEntityExists(e.kind(), v.RefKey())
		}
		return internal(err)
	}
	return e.s.stillActive(ctx, rev)
}

func (e entityStore[T]) Get(ctx context.Context, code string) (T, error) {
	var v T
	rev, err := e.s.activeRev(ctx)
	if err != nil {
		return v, err
	}
	var d refDoc
	err = e.s.coll().FindOne(ctx, bson.D{{Key: "_id", Value: docID(rev, e.kind(), code)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return v, feedback.ErrEntityNotFound(e.kind(), code)
	}
	if err != nil {
		return v, internal(err)
	}
	return v, internal(decodeDoc(d, &v))
}

func (e entityStore[T]) List(ctx context.Context) ([]T, error) {
	rev, err := e.s.activeRev(ctx)
	if err != nil {
		return nil, err
	}
	cur, err := e.s.coll().Find(ctx, bson.D{{Key: "rev", Value: rev}, {Key: "kind", Value: e.kind()}},
		options.Find().SetSort(bson.D{{Key: "code", Value: 1}}).SetHint(ixRefRev))
	if err != nil {
		return nil, internal(err)
	}
	defer cur.Close(ctx)
	list := []T{}
	for cur.Next(ctx) {
		var d refDoc
		if err := cur.Decode(&d); err != nil {
			return nil, internal(err)
		}
		if list, err = appendDecoded(list, d); err != nil {
			return nil, apperr.Internal(err)
		}
	}
	return list, internal(cur.Err())
}

func (e entityStore[T]) Update(ctx context.Context, v T) error {
	if err := v.Validate(); err != nil {
		return err
	}
	rev, err := e.s.activeRev(ctx)
	if err != nil {
		return err
	}
	d, err := newRefDoc(rev, e.kind(), v.RefKey(), v)
	if err != nil {
		return apperr.Internal(err)
	}
	res, err := e.s.coll().ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}}, d)
	if err != nil {
		return internal(err)
	}
	if res.MatchedCount == 0 {
		return feedback.ErrEntityNotFound(e.kind(), v.RefKey())
	}
	return e.s.stillActive(ctx, rev)
}

func (e entityStore[T]) Delete(ctx context.Context, code string) error {
	rev, err := e.s.activeRev(ctx)
	if err != nil {
		return err
	}
	res, err := e.s.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: docID(rev, e.kind(), code)}})
	if err != nil {
		return internal(err)
	}
	if res.DeletedCount == 0 {
		return feedback.ErrEntityNotFound(e.kind(), code)
	}
	return e.s.stillActive(ctx, rev)
}
