package mongo

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/connstring"

	"camaug/feedback"
	"camaug/internal/store/transfer"
	"camaug/survey"
)

var _ transfer.Importer = (*DB)(nil)

// importBatch tags invitations that came from another store (see
// invitationDoc.Batch).
const importBatch = "migrated"

// importColl is the collection each kind goes to, and the filter that
// counts it there.
func importColl(kind string) (string, bson.D, error) {
	switch kind {
	case transfer.Reports:
		return collReports, bson.D{}, nil
	case transfer.Events:
		return collEvents, bson.D{}, nil
	case transfer.Supports:
		return collSupports, bson.D{}, nil
	case transfer.Media:
		return collMedia, bson.D{}, nil
	case transfer.Ratings:
		return collRatings, bson.D{}, nil
	case transfer.Notifications:
		return collNotifications, bson.D{}, nil
	case transfer.Invitations:
		return collInvitations, bson.D{}, nil
	case transfer.Participants:
		return collSurveyClaims, bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: "^p:"}}}}, nil
	case transfer.Responses:
		return collResponses, bson.D{}, nil
	case transfer.Idempotency:
		return collIdempotency, bson.D{}, nil
	case transfer.StaffLinks:
		return collStaffLinks, bson.D{}, nil
	}
	return "", nil, fmt.Errorf("mongo: no record kind %q", kind)
}

// ixIDOrder: Count reads a whole collection, or an anchored _id prefix,
// on the _id index every collection has.
var ixIDOrder = servedBy(collReports, "Count (the migration's check): whole collections or an anchored _id prefix", asc("_id"))

// Count returns the number of records of kind.
func (db *DB) Count(ctx context.Context, kind string) (int64, error) {
	coll, filter, err := importColl(kind)
	if err != nil {
		return 0, err
	}
	// index: ixIDOrder
	n, err := db.db.Collection(coll).CountDocuments(ctx, filter)
	return n, internal(err)
}

// Import stores one record as it is, by its ID: unchanged when the same
// document is there already, replaced when it differs.
func (db *DB) Import(ctx context.Context, kind string, rec any) (bool, error) {
	coll, _, err := importColl(kind)
	if err != nil {
		return false, err
	}
	var id string
	var doc any
	switch r := rec.(type) {
	case feedback.Report:
		// A report the target holds at the same or a later version (it
		// moved on there) is kept.
		if v, ok, err := db.storedInt(ctx, collReports, r.ID, "version"); err != nil || (ok && v >= r.Version) {
			return false, err
		}
		d := toReportDoc(&r)
		id, doc = d.ID, d
	case feedback.Event:
		// Report stays empty: it only serves catchUp for an event newer
		// than its report, which a copy of a consistent store never has.
		d := eventDoc{ID: eventID(r.ReportID, r.Version), ReportID: r.ReportID, Version: r.Version, Action: string(r.Action),
			FromStatus: string(r.FromStatus), ToStatus: string(r.ToStatus), ActorID: r.ActorID, ActorRole: string(r.ActorRole),
			AgencyCode: r.AgencyCode, ToAgency: r.ToAgency, Note: r.Note, DueAt: transfer.UTC(r.DueAt), DuplicateOf: r.DuplicateOf, At: r.At.UTC()}
		id, doc = d.ID, d
	case feedback.Support:
		id = r.ReportID + "|" + r.UserID
		doc = bson.D{{Key: "_id", Value: id}, {Key: "report_id", Value: r.ReportID}, {Key: "user_id", Value: r.UserID}, {Key: "created_at", Value: r.CreatedAt.UTC()}}
	case feedback.Media:
		d := mediaDoc{ID: r.ID, ReportID: r.ReportID, ContentType: r.ContentType, Width: r.Width, Height: r.Height, ThumbWidth: r.ThumbWidth,
			ThumbHeight: r.ThumbHeight, Size: r.Size, ThumbSize: r.ThumbSize, CreatedAt: r.CreatedAt.UTC()}
		// The slot is this store's own: keep the one taken, else the next free.
		var cur mediaDoc
		err := db.db.Collection(collMedia).FindOne(ctx, bson.D{{Key: "_id", Value: r.ID}}).Decode(&cur)
		switch {
		case err == nil:
			d.Slot = cur.Slot
		case errors.Is(err, mongo.ErrNoDocuments):
			// index: ixMediaByReport
			n, err := db.db.Collection(collMedia).CountDocuments(ctx, bson.D{{Key: "report_id", Value: r.ReportID}})
			if err != nil {
				return false, internal(err)
			}
			d.Slot = int(n) + 1
		default:
			return false, internal(err)
		}
		id, doc = d.ID, d
	case feedback.Rating:
		d := ratingDoc{ReportID: r.ReportID, UserID: r.UserID, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode, Score: r.Score, Comment: r.Comment,
			CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
		id, doc = d.ReportID, d
	case feedback.Notification:
		// Delivery state belongs to the target once it serves: a pending
		// entry there is only replaced by one the source finished.
		if r.DeliveredAt == nil && !r.Dead {
			if _, ok, err := db.storedInt(ctx, collNotifications, r.ID, "attempts"); err != nil || ok {
				return false, err
			}
		}
		d := toNotificationDocs([]feedback.Notification{r})[0]
		d.Attempts, d.DeliveredAt, d.Dead, d.LastError = r.Attempts, transfer.UTC(r.DeliveredAt), r.Dead, r.LastError
		d.Pending = r.DeliveredAt == nil && !r.Dead
		id, doc = d.ID, d
	case survey.Invitation:
		d := invitationDoc{TokenHash: r.TokenHash, SurveyID: r.SurveyID, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode,
			CreatedAt: r.CreatedAt.UTC(), UsedAt: transfer.UTC(r.UsedAt), Batch: importBatch}
		changed, err := db.upsert(ctx, collInvitations, d.TokenHash, d)
		if err != nil || r.UsedAt == nil {
			return changed, err
		}
		// A used token's claim is spent here too: it can never answer again.
		id := claimID(r.SurveyID, survey.Claim{TokenHash: r.TokenHash})
		spent, err := db.upsert(ctx, collSurveyClaims, id, bson.D{{Key: "_id", Value: id}})
		return changed || spent, err
	case transfer.Participant:
		id = claimID(r.SurveyID, survey.Claim{Participant: r.Participant})
		doc = bson.D{{Key: "_id", Value: id}}
	case survey.Response:
		answers := r.Answers
		if answers == nil {
			answers = survey.Answers{}
		}
		raw, err := toBSON(answers)
		if err != nil {
			return false, err
		}
		d := responseDoc{ID: r.ID, SurveyID: r.SurveyID, Version: r.Version, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode,
			Channel: string(r.Channel), Answers: raw, SubmittedAt: r.SubmittedAt.UTC()}
		id, doc = d.ID, d
	case transfer.StaffLink:
		d := staffLinkDoc{ID: staffLinkID(r.Issuer, r.Subject), Issuer: r.Issuer, Subject: r.Subject, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC()}
		id, doc = d.ID, d
	case feedback.Idempotency:
		d := idemDoc{ID: r.Scope + "|" + r.Key, Scope: r.Scope, Key: r.Key, RequestHash: r.RequestHash, ResourceID: r.ResourceID, CreatedAt: r.CreatedAt.UTC()}
		id, doc = d.ID, d
	default:
		return false, fmt.Errorf("mongo: import %s: unexpected record %T", kind, rec)
	}
	return db.upsert(ctx, coll, id, doc)
}

// upsert writes doc under id unless the stored document is the same.
func (db *DB) upsert(ctx context.Context, coll, id string, doc any) (bool, error) {
	want, err := bson.Marshal(doc)
	if err != nil {
		return false, err
	}
	got, err := db.db.Collection(coll).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	if err == nil && bytes.Equal(got, want) {
		return false, nil
	}
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return false, internal(err)
	}
	_, err = db.db.Collection(coll).ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.Raw(want), options.Replace().SetUpsert(true))
	return true, internal(err)
}

// storedInt returns an integer field of the stored document with this ID,
// and whether the document exists.
func (db *DB) storedInt(ctx context.Context, coll, id, field string) (int64, bool, error) {
	raw, err := db.db.Collection(coll).FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: field, Value: 1}})).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, internal(err)
	}
	v, ok := raw.Lookup(field).AsInt64OK()
	if !ok {
		return 0, true, nil
	}
	return v, true, nil
}

// DatabaseFromURI returns the database named in a connection string's
// path ("" when none), with the driver's own parser (several hosts,
// options, mongodb+srv).
func DatabaseFromURI(uri string) (string, error) {
	cs, err := connstring.Parse(uri)
	if err != nil {
		return "", err
	}
	return cs.Database, nil
}
