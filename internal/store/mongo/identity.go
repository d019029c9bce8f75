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

const (
	collUsers    = "users"
	collTokens   = "refresh_tokens"
	collKeys     = "signing_keys"
	collAttempts = "login_attempts"
	collSessions = "sessions"
)

// userDoc is an account in BSON. The *_key fields carry the login, or a
// value unique to the account when the login is unset, so plain unique
// indexes enforce "unique when set" on every server (no partial indexes).
type userDoc struct {
	ID           string    `bson:"_id"`
	Role         string    `bson:"role"`
	Name         string    `bson:"name"`
	Email        string    `bson:"email"`
	Phone        string    `bson:"phone"`
	DeviceHash   string    `bson:"device_hash"`
	EmailKey     string    `bson:"email_key"`
	PhoneKey     string    `bson:"phone_key"`
	DeviceKey    string    `bson:"device_key"`
	AgencyCode   string    `bson:"agency_code"`
	Locale       string    `bson:"locale"`
	PasswordHash string    `bson:"password_hash"`
	Disabled     bool      `bson:"disabled"`
	Erased       bool      `bson:"erased"`
	Version      int64     `bson:"version"`
	CreatedAt    time.Time `bson:"created_at"`
	UpdatedAt    time.Time `bson:"updated_at"`

	// GuestSecretHash is absent on guests created before secrets existed,
	// which reads as empty: no migration is needed.
	GuestSecretHash string `bson:"guest_secret_hash,omitempty"`
	// Absent on accounts from before OpenID Connect: false and 0.
	PhoneVerified   bool  `bson:"phone_verified,omitempty"`
	TokenGeneration int64 `bson:"token_generation,omitempty"`
}

func loginKey(value, id string) string {
	if value == "" {
		return "-" + id
	}
	return value
}

func toUserDoc(u *identity.User) userDoc {
	return userDoc{ID: u.ID, Role: string(u.Role), Name: u.Name, Email: u.Email, Phone: u.Phone, DeviceHash: u.DeviceHash,
		EmailKey: loginKey(u.Email, u.ID), PhoneKey: loginKey(u.Phone, u.ID), DeviceKey: loginKey(u.DeviceHash, u.ID),
		AgencyCode: u.AgencyCode, Locale: string(u.Locale), PasswordHash: u.PasswordHash, Disabled: u.Disabled, Erased: u.Erased,
		Version: u.Version, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(), GuestSecretHash: u.GuestSecretHash,
		PhoneVerified: u.PhoneVerified, TokenGeneration: u.TokenGeneration}
}

func (d userDoc) user() *identity.User {
	return &identity.User{ID: d.ID, Role: identity.Role(d.Role), Name: d.Name, Email: d.Email, Phone: d.Phone, DeviceHash: d.DeviceHash,
		AgencyCode: d.AgencyCode, Locale: i18n.Lang(d.Locale), PasswordHash: d.PasswordHash, Disabled: d.Disabled, Erased: d.Erased,
		Version: d.Version, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, GuestSecretHash: d.GuestSecretHash,
		PhoneVerified: d.PhoneVerified, TokenGeneration: d.TokenGeneration}
}

// IdentityStore implements identity.Store.
type IdentityStore struct{ db *DB }

var _ identity.Store = (*IdentityStore)(nil)

// Identity returns the identity store.
func (db *DB) Identity() identity.Store { return &IdentityStore{db: db} }

func identityIndexes() map[string][]mongo.IndexModel {
	unique := func(keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d, Options: options.Index().SetUnique(true)}
	}
	plain := func(keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d}
	}
	return map[string][]mongo.IndexModel{
		collUsers:    {unique("email_key"), unique("phone_key"), unique("device_key"), plain("role", "agency_code")},
		collTokens:   {plain("family_id"), plain("user_id")},
		collKeys:     {plain("created_at")},
		collAttempts: {plain("key", "window"), plain("window")},
		// The token hash is _id, so unique already. expires_at has a TTL
		// index where the server has TTL (ensureTTL); expiry is checked on
		// read and swept in any case.
		collSessions: {plain("user_id"), plain("last_seen")},
	}
}

func errUserNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy tài khoản", "account not found"))
}

func errLoginTaken() error {
	return apperr.ConflictOf(apperr.KindExists, i18n.T("Tên đăng nhập đã được dùng", "the login is already used"))
}

func (s *IdentityStore) users() *mongo.Collection { return s.db.db.Collection(collUsers) }

// CreateUser stores a new account.
func (s *IdentityStore) CreateUser(ctx context.Context, u *identity.User) error {
	u.Version = 1
	_, err := s.users().InsertOne(ctx, toUserDoc(u))
	if isDuplicate(err) {
		return errLoginTaken()
	}
	return internal(err)
}

func (s *IdentityStore) findOne(ctx context.Context, filter bson.D) (*identity.User, error) {
	var d userDoc
	// index: ixUserEmail, ixUserPhone, ixUserDevice (unique) or _id
	err := s.users().FindOne(ctx, filter).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, errUserNotFound()
	}
	if err != nil {
		return nil, internal(err)
	}
	return d.user(), nil
}

// GetUser returns an account by ID.
func (s *IdentityStore) GetUser(ctx context.Context, id string) (*identity.User, error) {
	return s.findOne(ctx, bson.D{{Key: "_id", Value: id}})
}

// The logins' unique indexes find an account.
var (
	ixUserEmail  = servedBy(collUsers, "FindUser: email", asc("email_key"))
	ixUserPhone  = servedBy(collUsers, "FindUser: phone", asc("phone_key"))
	ixUserDevice = servedBy(collUsers, "FindUser: device", asc("device_key"))
)

// FindUser returns the account with a login.
func (s *IdentityStore) FindUser(ctx context.Context, l identity.LoginKey) (*identity.User, error) {
	switch {
	case l.Email != "":
		return s.findOne(ctx, bson.D{{Key: "email_key", Value: l.Email}})
	case l.Phone != "":
		return s.findOne(ctx, bson.D{{Key: "phone_key", Value: l.Phone}})
	case l.DeviceHash != "":
		return s.findOne(ctx, bson.D{{Key: "device_key", Value: l.DeviceHash}})
	}
	return nil, errUserNotFound()
}

// ListUsers returns a page of accounts in ID order.
func (s *IdentityStore) ListUsers(ctx context.Context, f identity.UserFilter) ([]identity.User, error) {
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: f.After}}}}
	if f.Role != "" {
		filter = append(filter, bson.E{Key: "role", Value: string(f.Role)})
	}
	if f.AgencyCode != "" {
		filter = append(filter, bson.E{Key: "agency_code", Value: f.AgencyCode})
	}
	return findAll(ctx, s.users(), filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(f.Limit)).SetHint(usersIndex(f)),
		func(d userDoc) identity.User { return *d.user() })
}

// The account list's indexes: its equality filters, then _id.
var (
	ixUsersRoleAgency = servedBy(collUsers, "ListUsers: role and agency", asc("role"), asc("agency_code"), asc("_id"))
	ixUsersRole       = servedBy(collUsers, "ListUsers: role; CountActiveAdmins", asc("role"), asc("_id"))
	ixUsersAgency     = servedBy(collUsers, "ListUsers: agency", asc("agency_code"), asc("_id"))
	ixUsersAll        = servedBy(collUsers, "ListUsers: every account", asc("_id"))
)

func usersIndex(f identity.UserFilter) bson.D {
	switch {
	case f.Role != "" && f.AgencyCode != "":
		return ixUsersRoleAgency
	case f.Role != "":
		return ixUsersRole
	case f.AgencyCode != "":
		return ixUsersAgency
	}
	return ixUsersAll
}

// UpdateUser writes u if nobody changed it since it was read.
func (s *IdentityStore) UpdateUser(ctx context.Context, u *identity.User) error {
	d := toUserDoc(u)
	d.Version = u.Version + 1
	res, err := s.users().ReplaceOne(ctx, bson.D{{Key: "_id", Value: u.ID}, {Key: "version", Value: u.Version}}, d)
	if isDuplicate(err) {
		return errLoginTaken()
	}
	if err != nil {
		return internal(err)
	}
	if res.MatchedCount == 0 {
		if _, err := s.GetUser(ctx, u.ID); err != nil {
			return err
		}
		return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Tài khoản vừa được thay đổi bởi thao tác khác; hãy tải lại", "the account was changed meanwhile; reload it"))
	}
	u.Version++
	return nil
}

// CountActiveAdmins counts enabled admins.
func (s *IdentityStore) CountActiveAdmins(ctx context.Context) (int, error) {
	// index: ixUsersRole (the few admins are then checked for disabled)
	n, err := s.users().CountDocuments(ctx, bson.D{{Key: "role", Value: string(identity.RoleAdmin)}, {Key: "disabled", Value: false}})
	return int(n), internal(err)
}

type tokenDoc struct {
	Hash      string    `bson:"_id"`
	FamilyID  string    `bson:"family_id"`
	UserID    string    `bson:"user_id"`
	ExpiresAt time.Time `bson:"expires_at"`
	CreatedAt time.Time `bson:"created_at"`
	Used      bool      `bson:"used"`
	Revoked   bool      `bson:"revoked"`
}

func (d tokenDoc) token() identity.RefreshToken {
	return identity.RefreshToken{Hash: d.Hash, FamilyID: d.FamilyID, UserID: d.UserID, ExpiresAt: d.ExpiresAt,
		CreatedAt: d.CreatedAt, Used: d.Used, Revoked: d.Revoked}
}

func (s *IdentityStore) tokens() *mongo.Collection { return s.db.db.Collection(collTokens) }

// AddRefreshToken stores a token's hash.
func (s *IdentityStore) AddRefreshToken(ctx context.Context, t identity.RefreshToken) error {
	_, err := s.tokens().InsertOne(ctx, tokenDoc{Hash: t.Hash, FamilyID: t.FamilyID, UserID: t.UserID,
		ExpiresAt: t.ExpiresAt.UTC(), CreatedAt: t.CreatedAt.UTC()})
	return internal(err)
}

// Spending and revoking are inserts, never read-modify-write updates:
// an insert under a unique _id is atomic on MongoDB and on FerretDB v1 alike,
// while FerretDB v1 runs a conditional update as a read and a separate write,
// so two concurrent "used: false → true" updates can both succeed there.
// collSpent holds {_id: token hash}; collRevoked holds {_id: "family:F"}
// for each revoked family.
const (
	collSpent   = "refresh_tokens_spent"
	collRevoked = "refresh_token_revocations"
)

// UseRefreshToken spends a token: of concurrent uses exactly one inserts
// the spent marker.
func (s *IdentityStore) UseRefreshToken(ctx context.Context, hash string) (identity.RefreshToken, error) {
	var d tokenDoc
	err := s.tokens().FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return identity.RefreshToken{}, apperr.NotFound(i18n.T("Token không tồn tại", "unknown token"))
	}
	if err != nil {
		return identity.RefreshToken{}, internal(err)
	}
	t := d.token()
	spent := apperr.ConflictOf(apperr.KindUsed, i18n.T("Token đã được dùng", "the token was already used"))
	revoked, err := s.revoked(ctx, t)
	if err != nil {
		return t, err
	}
	if revoked {
		t.Revoked = true
		return t, spent
	}
	// The marker expires with its token (TTL index or SweepExpired).
	if _, err := s.db.db.Collection(collSpent).InsertOne(ctx, bson.D{{Key: "_id", Value: hash}, {Key: "expires_at", Value: t.ExpiresAt.UTC()}}); err != nil {
		if isDuplicate(err) {
			t.Used = true
			return t, spent
		}
		return t, internal(err)
	}
	t.Used = true
	return t, nil
}

func (s *IdentityStore) revoked(ctx context.Context, t identity.RefreshToken) (bool, error) {
	n, err := s.db.db.Collection(collRevoked).CountDocuments(ctx, bson.D{{Key: "_id", Value: "family:" + t.FamilyID}})
	return n > 0, internal(err)
}

// RevokeFamily revokes a token family.
func (s *IdentityStore) RevokeFamily(ctx context.Context, familyID string) error {
	_, err := s.db.db.Collection(collRevoked).InsertOne(ctx, bson.D{{Key: "_id", Value: "family:" + familyID}})
	if isDuplicate(err) {
		return nil
	}
	return internal(err)
}

var ixTokensByUser = servedBy(collTokens, "RevokeUserTokens", asc("user_id"))

// RevokeUserTokens revokes every token the user holds now, family by
// family; tokens issued afterwards start new families and stay valid.
func (s *IdentityStore) RevokeUserTokens(ctx context.Context, userID string) error {
	// index: ixTokensByUser
	cur, err := s.tokens().Find(ctx, bson.D{{Key: "user_id", Value: userID}}, options.Find().SetProjection(bson.D{{Key: "family_id", Value: 1}}))
	if err != nil {
		return internal(err)
	}
	defer cur.Close(ctx)
	families := map[string]bool{}
	for cur.Next(ctx) {
		var d struct {
			FamilyID string `bson:"family_id"`
		}
		if err := cur.Decode(&d); err != nil {
			return internal(err)
		}
		families[d.FamilyID] = true
	}
	if err := cur.Err(); err != nil {
		return internal(err)
	}
	for f := range families {
		if err := s.RevokeFamily(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

type keyDoc struct {
	KID           string    `bson:"_id"`
	Public        []byte    `bson:"public"`
	SealedPrivate []byte    `bson:"sealed_private"`
	CreatedAt     time.Time `bson:"created_at"`
}

var ixKeys = servedBy(collKeys, "SigningKeys: newest first", desc("created_at"), desc("_id"))

// SigningKeys returns every key, newest first.
func (s *IdentityStore) SigningKeys(ctx context.Context) ([]identity.SigningKey, error) {
	return findAll(ctx, s.db.db.Collection(collKeys), bson.D{}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).SetHint(ixKeys),
		func(d keyDoc) identity.SigningKey {
			return identity.SigningKey{KID: d.KID, Public: d.Public, SealedPrivate: d.SealedPrivate, CreatedAt: d.CreatedAt}
		})
}

// AddSigningKey stores a key.
func (s *IdentityStore) AddSigningKey(ctx context.Context, k identity.SigningKey) error {
	_, err := s.db.db.Collection(collKeys).InsertOne(ctx, keyDoc{KID: k.KID, Public: k.Public, SealedPrivate: k.SealedPrivate, CreatedAt: k.CreatedAt.UTC()})
	return internal(err)
}

func (s *IdentityStore) attempts() *mongo.Collection { return s.db.db.Collection(collAttempts) }

// HitAttempt records one failed attempt as its own document and counts the
// window's documents. An insert is atomic on every server; a read-modify-
// write counter is not on FerretDB v1, which loses concurrent $inc updates.
// Failures are few (the limit stops them), so the count stays small.
func (s *IdentityStore) HitAttempt(ctx context.Context, key string, window time.Time) (int, error) {
	// at is the window's start as a date, for the TTL index (ensureTTL).
	if _, err := s.attempts().InsertOne(ctx, bson.D{{Key: "key", Value: key}, {Key: "window", Value: window.Unix()}, {Key: "at", Value: window.UTC()}}); err != nil {
		return 0, internal(err)
	}
	return s.AttemptCount(ctx, key, window)
}

var (
	ixAttempts      = servedBy(collAttempts, "AttemptCount, ClearAttempts", asc("key"), asc("window"))
	ixAttemptWindow = servedBy(collAttempts, "DeleteAttemptsBefore", asc("window"))
)

// AttemptCount returns the failures of key in the window.
func (s *IdentityStore) AttemptCount(ctx context.Context, key string, window time.Time) (int, error) {
	// index: ixAttempts
	n, err := s.attempts().CountDocuments(ctx, bson.D{{Key: "key", Value: key}, {Key: "window", Value: window.Unix()}})
	return int(n), internal(err)
}

// ClearAttempts forgets key's failures.
func (s *IdentityStore) ClearAttempts(ctx context.Context, key string) error {
	_, err := s.attempts().DeleteMany(ctx, bson.D{{Key: "key", Value: key}}) // index: ixAttempts
	return internal(err)
}

// DeleteAttemptsBefore removes the windows that started before the time.
// Each attempt is its own document, so it counts the distinct (key,
// window) pairs it removes, from the index, before removing them.
func (s *IdentityStore) DeleteAttemptsBefore(ctx context.Context, before time.Time) (int, error) {
	filter := bson.D{{Key: "window", Value: bson.D{{Key: "$lt", Value: before.Unix()}}}}
	cur, err := s.attempts().Aggregate(ctx, mongo.Pipeline{ // index: ixAttemptWindow
		{{Key: "$match", Value: filter}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "key", Value: "$key"}, {Key: "window", Value: "$window"}}}}}},
	})
	if err != nil {
		return 0, internal(err)
	}
	var groups []bson.M
	if err := cur.All(ctx, &groups); err != nil {
		return 0, internal(err)
	}
	if _, err := s.attempts().DeleteMany(ctx, filter); err != nil { // index: ixAttemptWindow
		return 0, internal(err)
	}
	return len(groups), nil
}

type sessionDoc struct {
	Hash      string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	CSRF      string    `bson:"csrf"`
	Stamp     string    `bson:"stamp"`
	CreatedAt time.Time `bson:"created_at"`
	LastSeen  time.Time `bson:"last_seen"`
	ExpiresAt time.Time `bson:"expires_at"`
}

func (s *IdentityStore) sessions() *mongo.Collection { return s.db.db.Collection(collSessions) }

func errSessionNotFound() error {
	return apperr.NotFound(i18n.T("Phiên đăng nhập không tồn tại", "unknown session"))
}

// CreateSession stores a session.
func (s *IdentityStore) CreateSession(ctx context.Context, ss identity.Session) error {
	_, err := s.sessions().InsertOne(ctx, sessionDoc{Hash: ss.Hash, UserID: ss.UserID, CSRF: ss.CSRF, Stamp: ss.Stamp,
		CreatedAt: ss.CreatedAt.UTC(), LastSeen: ss.LastSeen.UTC(), ExpiresAt: ss.ExpiresAt.UTC()})
	return internal(err)
}

// GetSession returns a session by its token's hash.
func (s *IdentityStore) GetSession(ctx context.Context, hash string) (identity.Session, error) {
	var d sessionDoc
	err := s.sessions().FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return identity.Session{}, errSessionNotFound()
	}
	if err != nil {
		return identity.Session{}, internal(err)
	}
	return identity.Session{Hash: d.Hash, UserID: d.UserID, CSRF: d.CSRF, Stamp: d.Stamp,
		CreatedAt: d.CreatedAt, LastSeen: d.LastSeen, ExpiresAt: d.ExpiresAt}, nil
}

// TouchSession records that the session was used at lastSeen.
func (s *IdentityStore) TouchSession(ctx context.Context, hash string, lastSeen time.Time) error {
	res, err := s.sessions().UpdateOne(ctx, bson.D{{Key: "_id", Value: hash}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen", Value: lastSeen.UTC()}}}})
	if err != nil {
		return internal(err)
	}
	if res.MatchedCount == 0 {
		return errSessionNotFound()
	}
	return nil
}

// DeleteSession removes a session.
func (s *IdentityStore) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.sessions().DeleteOne(ctx, bson.D{{Key: "_id", Value: hash}})
	return internal(err)
}

// The sessions' indexes: by account, and by idleness (expires_at has its
// TTL index, ixExpiry); each branch of the sweep's $or uses its own.
var (
	ixSessionsByUser = servedBy(collSessions, "DeleteUserSessions", asc("user_id"))
	ixSessionIdle    = servedBy(collSessions, "DeleteExpiredSessions: idle", asc("last_seen"))
)

// DeleteUserSessions removes every session of a user.
func (s *IdentityStore) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.sessions().DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}}) // index: ixSessionsByUser
	return internal(err)
}

// DeleteExpiredSessions removes sessions past their expiry or idle too long.
func (s *IdentityStore) DeleteExpiredSessions(ctx context.Context, now time.Time, idle time.Duration) (int, error) {
	// index: ixSessionIdle, and ixExpiry for expires_at
	res, err := s.sessions().DeleteMany(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: now.UTC()}}}},
		bson.D{{Key: "last_seen", Value: bson.D{{Key: "$lt", Value: now.Add(-idle).UTC()}}}},
	}}})
	if err != nil {
		return 0, internal(err)
	}
	return int(res.DeletedCount), nil
}
