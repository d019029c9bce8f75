package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

const collDevices = "devices"

// DeviceStore implements identity.DeviceStore. A device's document is
// keyed by its token, so a token is held by one account without a unique
// index of its own, and registering it is one atomic upsert.
type DeviceStore struct{ db *DB }

var _ identity.DeviceStore = (*DeviceStore)(nil)

// Devices returns the push device store.
func (db *DB) Devices() identity.DeviceStore { return &DeviceStore{db: db} }

type deviceDoc struct {
	Token     string    `bson:"_id"`
	ID        string    `bson:"id"`
	UserID    string    `bson:"user_id"`
	Platform  string    `bson:"platform"`
	Locale    string    `bson:"locale"`
	CreatedAt time.Time `bson:"created_at"`
	UpdatedAt time.Time `bson:"updated_at"`
}

func (d deviceDoc) device() identity.Device {
	return identity.Device{ID: d.ID, UserID: d.UserID, Platform: d.Platform, Token: d.Token, Locale: i18n.Lang(d.Locale),
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

var ixDevicesByUser = servedBy(collDevices, "UserDevices, DeleteDevice, PutDevice's trim", asc("user_id"), desc("updated_at"))

func (s *DeviceStore) coll() *mongo.Collection { return s.db.db.Collection(collDevices) }

// PutDevice upserts the token's document, then trims the account's oldest
// devices beyond max.
func (s *DeviceStore) PutDevice(ctx context.Context, d identity.Device, max int) (identity.Device, bool, error) {
	update := bson.D{
		{Key: "$set", Value: bson.D{{Key: "user_id", Value: d.UserID}, {Key: "platform", Value: d.Platform},
			{Key: "locale", Value: string(d.Locale)}, {Key: "updated_at", Value: d.UpdatedAt.UTC()}}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "id", Value: d.ID}, {Key: "created_at", Value: d.CreatedAt.UTC()}}},
	}
	var prev deviceDoc
	var err error
	for attempt := 0; attempt < 2; attempt++ { // two first registrations at once: one inserts, the other updates
		err = s.coll().FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: d.Token}}, update,
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.Before)).Decode(&prev)
		if !isDuplicate(err) {
			break
		}
	}
	isNew := errors.Is(err, mongo.ErrNoDocuments)
	if err != nil && !isNew {
		return identity.Device{}, false, internal(err)
	}
	out := d
	if !isNew {
		out.ID, out.CreatedAt = prev.ID, prev.CreatedAt
		isNew = prev.UserID != d.UserID
	}
	out.CreatedAt, out.UpdatedAt = out.CreatedAt.UTC().Truncate(time.Millisecond), out.UpdatedAt.UTC().Truncate(time.Millisecond)
	list, err := s.UserDevices(ctx, d.UserID)
	if err != nil {
		return identity.Device{}, false, err
	}
	if len(list) > max {
		stale := bson.A{}
		for _, x := range list[max:] {
			stale = append(stale, x.Token)
		}
		if _, err := s.coll().DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: stale}}}, {Key: "user_id", Value: d.UserID}}); err != nil {
			return identity.Device{}, false, internal(err)
		}
	}
	return out, isNew, nil
}

// UserDevices lists an account's devices, most recently updated first.
func (s *DeviceStore) UserDevices(ctx context.Context, userID string) ([]identity.Device, error) {
	return findAll(ctx, s.coll(), bson.D{{Key: "user_id", Value: userID}},
		options.Find().SetSort(bson.D{{Key: "updated_at", Value: -1}}).SetHint(ixDevicesByUser), deviceDoc.device)
}

// DeleteDevice removes the account's device by ID or token.
func (s *DeviceStore) DeleteDevice(ctx context.Context, userID, key string) error {
	// index: ixDevicesByUser
	res, err := s.coll().DeleteOne(ctx, bson.D{{Key: "user_id", Value: userID},
		{Key: "$or", Value: bson.A{bson.D{{Key: "_id", Value: key}}, bson.D{{Key: "id", Value: key}}}}})
	if err != nil {
		return internal(err)
	}
	if res.DeletedCount == 0 {
		return apperr.NotFound(i18n.T("Không tìm thấy thiết bị", "device not found"))
	}
	return nil
}

// DropDeviceToken removes the device holding token, if any.
func (s *DeviceStore) DropDeviceToken(ctx context.Context, token string) error {
	_, err := s.coll().DeleteOne(ctx, bson.D{{Key: "_id", Value: token}})
	return internal(err)
}

// DeleteUserDevices removes every device of an account.
func (s *DeviceStore) DeleteUserDevices(ctx context.Context, userID string) error {
	// index: ixDevicesByUser
	_, err := s.coll().DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}})
	return internal(err)
}
