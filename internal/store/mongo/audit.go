package mongo

import (
	"context"
	"encoding/json"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

const collReferenceAudit = "reference_audit"

// auditDoc is one audit entry. Its _id is the entry's time-ordered ID, so
// the default _id index serves the newest-first listing. Before and after
// are JSON text: an area's boundary holds nested arrays, which FerretDB v1
// does not store.
type auditDoc struct {
	ID        string    `bson:"_id"`
	At        time.Time `bson:"at"`
	ActorID   string    `bson:"actor_id"`
	ActorRole string    `bson:"actor_role"`
	Kind      string    `bson:"kind"`
	Code      string    `bson:"code"`
	Action    string    `bson:"action"`
	Before    *string   `bson:"before,omitempty"`
	After     *string   `bson:"after,omitempty"`
}

// AuditStore implements feedback.AuditStore.
type AuditStore struct{ db *DB }

var _ feedback.AuditStore = (*AuditStore)(nil)

// Audit returns the reference data audit log.
func (s *ReferenceStore) Audit() feedback.AuditStore { return &AuditStore{db: s.db} }

func textOrNil(j json.RawMessage) *string {
	if len(j) == 0 {
		return nil
	}
	s := string(j)
	return &s
}

func rawOrNil(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

// AppendAudit stores e.
func (s *AuditStore) AppendAudit(ctx context.Context, e feedback.AuditEntry) error {
	d := auditDoc{ID: e.ID, At: e.At.UTC(), ActorID: e.ActorID, ActorRole: string(e.ActorRole), Kind: e.Kind,
		Code: e.Code, Action: e.Action, Before: textOrNil(e.Before), After: textOrNil(e.After)}
	if _, err := s.db.db.Collection(collReferenceAudit).InsertOne(ctx, d); err != nil {
		if isDuplicate(err) {
			return apperr.ConflictOf(apperr.KindExists, i18n.T("Mục nhật ký đã tồn tại", "audit entry already exists"))
		}
		return internal(err)
	}
	return nil
}

// ixAuditPage: the audit's pages walk _id downwards.
var ixAuditPage = servedBy(collReferenceAudit, "ListAudit: newest first", asc("_id"))

// ListAudit returns entries newest first, after the cursor before.
func (s *AuditStore) ListAudit(ctx context.Context, before string, limit int) ([]feedback.AuditEntry, error) {
	filter := bson.D{}
	if before != "" {
		filter = bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: before}}}}
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit))
	// index: ixAuditPage
	return findAll(ctx, s.db.db.Collection(collReferenceAudit), filter, opts, func(d auditDoc) feedback.AuditEntry {
		return feedback.AuditEntry{ID: d.ID, At: d.At, ActorID: d.ActorID, ActorRole: identity.Role(d.ActorRole), Kind: d.Kind,
			Code: d.Code, Action: d.Action, Before: rawOrNil(d.Before), After: rawOrNil(d.After)}
	})
}
