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

// The province provider's mappings (identity.OIDCStore).
const (
	collGroupMappings = "oidc_group_mappings"
	collOIDCSettings  = "oidc_settings"
	collAssurance     = "oidc_assurance" // _id is the account's id
)

const settingVerifiedACRs = "verified_acrs"

// ixMappingsByGroup keeps groups unique and serves the list, in group order.
var ixMappingsByGroup = servedBy(collGroupMappings, "ListGroupMappings", asc("group"))

func oidcIndexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		collGroupMappings: {{Keys: ixMappingsByGroup, Options: options.Index().SetUnique(true)}},
	}
}

type mappingDoc struct {
	ID         string    `bson:"_id"`
	Group      string    `bson:"group"`
	Role       string    `bson:"role"`
	AgencyCode string    `bson:"agency_code"`
	CreatedAt  time.Time `bson:"created_at"`
	UpdatedAt  time.Time `bson:"updated_at"`
}

func toMappingDoc(m identity.GroupMapping) mappingDoc {
	return mappingDoc{ID: m.ID, Group: m.Group, Role: string(m.Role), AgencyCode: m.AgencyCode,
		CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC()}
}

func (d mappingDoc) mapping() identity.GroupMapping {
	return identity.GroupMapping{ID: d.ID, Group: d.Group, Role: identity.Role(d.Role), AgencyCode: d.AgencyCode,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
}

func errMappingNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy ánh xạ nhóm", "group mapping not found"))
}

func errGroupMapped() error {
	return apperr.ConflictOf(apperr.KindExists, i18n.T("Nhóm này đã được ánh xạ", "this group is mapped already"))
}

func (s *IdentityStore) mappings() *mongo.Collection { return s.db.db.Collection(collGroupMappings) }

// ListGroupMappings returns every mapping, ordered by group.
func (s *IdentityStore) ListGroupMappings(ctx context.Context) ([]identity.GroupMapping, error) {
	out, err := findAll(ctx, s.mappings(), bson.D{}, options.Find().SetSort(ixMappingsByGroup).SetLimit(identity.MaxGroupMappings+1).SetHint(ixMappingsByGroup),
		func(d mappingDoc) identity.GroupMapping { return d.mapping() })
	if out == nil && err == nil {
		out = []identity.GroupMapping{}
	}
	return out, err
}

// GetGroupMapping returns one mapping.
func (s *IdentityStore) GetGroupMapping(ctx context.Context, id string) (identity.GroupMapping, error) {
	var d mappingDoc
	err := s.mappings().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return identity.GroupMapping{}, errMappingNotFound()
	}
	if err != nil {
		return identity.GroupMapping{}, internal(err)
	}
	return d.mapping(), nil
}

// CreateGroupMapping stores a new mapping.
func (s *IdentityStore) CreateGroupMapping(ctx context.Context, m identity.GroupMapping) error {
	_, err := s.mappings().InsertOne(ctx, toMappingDoc(m))
	if isDuplicate(err) {
		return errGroupMapped()
	}
	return internal(err)
}

// UpdateGroupMapping replaces a mapping (one document: atomic).
func (s *IdentityStore) UpdateGroupMapping(ctx context.Context, m identity.GroupMapping) error {
	res, err := s.mappings().UpdateOne(ctx, bson.D{{Key: "_id", Value: m.ID}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "group", Value: m.Group}, {Key: "role", Value: string(m.Role)}, {Key: "agency_code", Value: m.AgencyCode},
		{Key: "updated_at", Value: m.UpdatedAt.UTC()}}}})
	if isDuplicate(err) {
		return errGroupMapped()
	}
	if err != nil {
		return internal(err)
	}
	if res.MatchedCount == 0 {
		return errMappingNotFound()
	}
	return nil
}

// DeleteGroupMapping removes a mapping.
func (s *IdentityStore) DeleteGroupMapping(ctx context.Context, id string) error {
	res, err := s.mappings().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return internal(err)
	}
	if res.DeletedCount == 0 {
		return errMappingNotFound()
	}
	return nil
}

type acrSettingDoc struct {
	ID     string   `bson:"_id"`
	Values []string `bson:"values"`
}

// VerifiedACRs returns the acr values marked verified.
func (s *IdentityStore) VerifiedACRs(ctx context.Context) ([]string, error) {
	var d acrSettingDoc
	err := s.db.db.Collection(collOIDCSettings).FindOne(ctx, bson.D{{Key: "_id", Value: settingVerifiedACRs}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return []string{}, nil
	}
	if err != nil {
		return nil, internal(err)
	}
	if d.Values == nil {
		d.Values = []string{}
	}
	return d.Values, nil
}

// SetVerifiedACRs replaces the acr values marked verified.
func (s *IdentityStore) SetVerifiedACRs(ctx context.Context, acrs []string) error {
	if acrs == nil {
		acrs = []string{}
	}
	_, err := s.db.db.Collection(collOIDCSettings).ReplaceOne(ctx, bson.D{{Key: "_id", Value: settingVerifiedACRs}},
		acrSettingDoc{ID: settingVerifiedACRs, Values: acrs}, options.Replace().SetUpsert(true))
	return internal(err)
}

type assuranceDoc struct {
	UserID    string    `bson:"_id"`
	ACR       string    `bson:"acr"`
	UpdatedAt time.Time `bson:"updated_at"`
}

// SetAssurance records an account's last stated acr.
func (s *IdentityStore) SetAssurance(ctx context.Context, a identity.Assurance) error {
	_, err := s.db.db.Collection(collAssurance).ReplaceOne(ctx, bson.D{{Key: "_id", Value: a.UserID}},
		assuranceDoc{UserID: a.UserID, ACR: a.ACR, UpdatedAt: a.UpdatedAt.UTC()}, options.Replace().SetUpsert(true))
	return internal(err)
}

// GetAssurance returns an account's last stated acr.
func (s *IdentityStore) GetAssurance(ctx context.Context, userID string) (identity.Assurance, error) {
	var d assuranceDoc
	err := s.db.db.Collection(collAssurance).FindOne(ctx, bson.D{{Key: "_id", Value: userID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return identity.Assurance{}, apperr.NotFound(i18n.T("Chưa có mức xác thực", "no assurance recorded"))
	}
	if err != nil {
		return identity.Assurance{}, internal(err)
	}
	return identity.Assurance{UserID: d.UserID, ACR: d.ACR, UpdatedAt: d.UpdatedAt.UTC()}, nil
}

const collStaffLinks = "oidc_staff_links" // _id: issuer NUL subject

type staffLinkDoc struct {
	ID        string    `bson:"_id"`
	Issuer    string    `bson:"issuer"`
	Subject   string    `bson:"subject"`
	UserID    string    `bson:"user_id"`
	CreatedAt time.Time `bson:"created_at"`
}

func staffLinkID(issuer, subject string) string { return issuer + "\x00" + subject }

// AddStaffLink links a provider subject to a staff account; the _id makes
// the pair unique on every engine.
func (s *IdentityStore) AddStaffLink(ctx context.Context, issuer, subject, userID string, at time.Time) error {
	_, err := s.db.db.Collection(collStaffLinks).InsertOne(ctx, staffLinkDoc{ID: staffLinkID(issuer, subject), Issuer: issuer,
		Subject: subject, UserID: userID, CreatedAt: at.UTC()})
	if isDuplicate(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Tài khoản dùng chung đã được liên kết", "the provider account is linked already"))
	}
	return internal(err)
}

// StaffLink returns the staff account linked to a provider subject.
func (s *IdentityStore) StaffLink(ctx context.Context, issuer, subject string) (string, error) {
	var d staffLinkDoc
	err := s.db.db.Collection(collStaffLinks).FindOne(ctx, bson.D{{Key: "_id", Value: staffLinkID(issuer, subject)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", apperr.NotFound(i18n.T("Chưa liên kết", "not linked"))
	}
	if err != nil {
		return "", internal(err)
	}
	return d.UserID, nil
}
