package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
)

const collNotifications = "notifications"

// notificationDoc is an outbox entry. Its _id is the notification ID, so
// writing it twice (the sweep after a crash) is harmless.
type notificationDoc struct {
	ID            string     `bson:"_id"`
	ReportID      string     `bson:"report_id"`
	TrackingCode  string     `bson:"tracking_code"`
	Version       int64      `bson:"version"`
	Party         string     `bson:"party"`
	UserID        string     `bson:"user_id,omitempty"`
	AgencyCode    string     `bson:"agency_code,omitempty"`
	Action        string     `bson:"action"`
	FromStatus    string     `bson:"from_status"`
	ToStatus      string     `bson:"to_status"`
	Note          string     `bson:"note"`
	At            time.Time  `bson:"at"`
	Attempts      int        `bson:"attempts"`
	NextAttemptAt time.Time  `bson:"next_attempt_at"`
	Pending       bool       `bson:"pending"` // neither delivered nor dead
	DeliveredAt   *time.Time `bson:"delivered_at,omitempty"`
	Dead          bool       `bson:"dead"`
	LastError     string     `bson:"last_error"`
}

func notificationIndexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		collNotifications: {{Keys: bson.D{{Key: "pending", Value: 1}, {Key: "next_attempt_at", Value: 1}}}},
	}
}

var (
	ixOutboxPending    = servedBy(collEvents, "sweepOutbox", asc("outbox_pending"))
	ixDueNotifications = servedBy(collNotifications, "DueNotifications: earliest first", asc("pending"), asc("next_attempt_at"))
)

func toNotificationDocs(ns []feedback.Notification) []notificationDoc {
	out := make([]notificationDoc, len(ns))
	for i, n := range ns {
		out[i] = notificationDoc{ID: n.ID, ReportID: n.ReportID, TrackingCode: n.TrackingCode, Version: n.Version, Party: string(n.Party),
			UserID: n.UserID, AgencyCode: n.AgencyCode, Action: string(n.Action), FromStatus: string(n.FromStatus), ToStatus: string(n.ToStatus),
			Note: n.Note, At: n.At.UTC(), NextAttemptAt: n.NextAttemptAt.UTC(), Pending: true}
	}
	return out
}

func (d notificationDoc) notification() feedback.Notification {
	return feedback.Notification{ID: d.ID, ReportID: d.ReportID, TrackingCode: d.TrackingCode, Version: d.Version, Party: feedback.Party(d.Party),
		UserID: d.UserID, AgencyCode: d.AgencyCode, Action: feedback.Action(d.Action), FromStatus: feedback.Status(d.FromStatus),
		ToStatus: feedback.Status(d.ToStatus), Note: d.Note, At: d.At, Attempts: d.Attempts, NextAttemptAt: d.NextAttemptAt,
		DeliveredAt: d.DeliveredAt, Dead: d.Dead, LastError: d.LastError}
}

// writeOutbox inserts an event's outbox entries; those already there are
// kept as they are (a delivered entry is not made pending again).
func (s *ReportStore) writeOutbox(ctx context.Context, docs []notificationDoc) error {
	for _, d := range docs {
		if _, err := s.db.db.Collection(collNotifications).InsertOne(ctx, d); err != nil && !isDuplicate(err) {
			return internal(err)
		}
	}

	return nil
}

// DueNotifications returns pending entries due by now, earliest first,
// after finishing any change a crash left only in its event.
func (s *ReportStore) DueNotifications(ctx context.Context, now time.Time, limit int) ([]feedback.Notification, error) {
	if _, err := s.RepairEvents(ctx); err != nil {
		return nil, err
	}
	// index: ixDueNotifications
	return findAll(ctx, s.db.db.Collection(collNotifications),
		bson.D{{Key: "pending", Value: true}, {Key: "next_attempt_at", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}},
		options.Find().SetSort(bson.D{{Key: "next_attempt_at", Value: 1}}).SetLimit(int64(limit)), notificationDoc.notification)
}

// ClaimNotification takes an entry for attempt number attempts+1. It first
// moves the entry to that attempt and hides it until until (a filtered
// update: atomic on MongoDB, not on FerretDB v1, where two dispatchers may
// both pass it), then inserts the claim "id#attempt" under a unique key
// (see claimOnce): only one dispatcher anywhere inserts it, so one sends
// the attempt. A dispatcher that dies after either step leaves the entry
// hidden until until, then due again at the next attempt number.
func (s *ReportStore) ClaimNotification(ctx context.Context, id string, attempts int, until time.Time) (bool, error) {
	res, err := s.db.db.Collection(collNotifications).UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "attempts", Value: attempts}, {Key: "pending", Value: true}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "attempts", Value: attempts + 1}, {Key: "next_attempt_at", Value: until.UTC()}}}})
	if err != nil {
		return false, internal(err)
	}
	if res.ModifiedCount != 1 {
		return false, nil
	}
	return s.db.claimOnce(ctx, fmt.Sprintf("notification/%s#%d", id, attempts+1), time.Now())
}

// FinishNotification records a delivery attempt's outcome.
func (s *ReportStore) FinishNotification(ctx context.Context, id string, delivered bool, at, next time.Time, lastErr string) error {
	set := bson.D{{Key: "last_error", Value: lastErr}}
	switch {
	case delivered:
		set = append(set, bson.E{Key: "pending", Value: false}, bson.E{Key: "delivered_at", Value: at.UTC()})
	case next.IsZero():
		set = append(set, bson.E{Key: "pending", Value: false}, bson.E{Key: "dead", Value: true})
	default:
		set = append(set, bson.E{Key: "next_attempt_at", Value: next.UTC()})
	}
	_, err := s.db.db.Collection(collNotifications).UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: set}})
	return internal(err)
}
