package identity

import (
	"context"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// flowAudience is the audience of the console's sign-in flow tokens: never
// accepted where an access token is (those are for cfg.Audience).
const flowAudience = "camaug-console-oidc-flow"

type flowClaims struct {
	jwt.RegisteredClaims
	Data string `json:"d"`
}

// SealFlow signs data (the console's state, nonce and PKCE verifier) into a
// token that lives ttl, for a short-lived cookie. Any instance of the
// service can open it: it is signed with the shared signing keys.
func (s *Service) SealFlow(ctx context.Context, data string, ttl time.Duration) (string, error) {
	kid, key := s.keys.signer(ctx)
	now := s.now()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, flowClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer: s.cfg.Issuer, Audience: jwt.ClaimStrings{flowAudience}, ID: ids.New(),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}, Data: data})
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil {
		return "", apperr.Internal(err)
	}
	return signed, nil
}

// ErrFlowRefused is the refusal of a sign-in flow that is unknown, expired,
// tampered with, or already used.
func ErrFlowRefused() error {
	return apperr.New(apperr.EUNAUTHORIZED, i18n.T(
		"Phiên đăng nhập bằng tài khoản dùng chung không hợp lệ, đã hết hạn hoặc đã được dùng; hãy đăng nhập lại.",
		"the sign-in with the province account is invalid, expired or already used; sign in again."))
}

// OpenFlow checks a token from SealFlow and returns its data, once: the
// token's id is counted in the shared attempt store, so a second use, on
// any instance, is refused (ErrFlowRefused) as is a bad or expired token.
func (s *Service) OpenFlow(ctx context.Context, token string) (string, error) {
	var claims flowClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		pub, ok := s.keys.publicKey(ctx, kid)
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return pub, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(s.cfg.Issuer), jwt.WithAudience(flowAudience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(s.now))
	if err != nil || claims.ID == "" || claims.IssuedAt == nil {
		return "", ErrFlowRefused()
	}
	// The window is the token's own issue time, so both uses hit the same
	// count whenever they come; the sweep keeps it past the token's life.
	n, err := s.store.HitAttempt(ctx, "once:oidc-flow:"+claims.ID, claims.IssuedAt.Time.UTC().Truncate(time.Second))
	if err != nil {
		return "", err
	}
	if n > 1 {
		return "", ErrFlowRefused()
	}
	return claims.Data, nil
}

// ProviderStaff is a staff member as the province's provider describes
// them in a verified id_token.
type ProviderStaff struct {
	Issuer, Subject string
	Name, Email     string
	ACR             string
	Groups          []string
}

// StartProviderSession signs a staff member in to the console with the
// province's account. Their groups are mapped (MapGroups) to a role and
// agency: no mapping refuses them (EFORBIDDEN), and their console sessions
// and refresh tokens are ended, so a group removed at the provider locks
// them out. The account is found by the provider's issuer and subject
// (never by email: a provider account must not take over a local one),
// created on the first sign-in, and given the mapped role, agency and the
// provider's name on every sign-in. A disabled or erased account is
// refused. The acr is recorded for IsVerified.
func (s *Service) StartProviderSession(ctx context.Context, ps ProviderStaff) (token string, sess Session, p Principal, err error) {
	if ps.Issuer == "" || ps.Subject == "" {
		return "", Session{}, Anonymous, ErrFlowRefused()
	}
	role, agency, mapErr := s.MapGroups(ctx, ps.Groups)
	if mapErr != nil && apperr.CodeOf(mapErr) != apperr.EFORBIDDEN {
		return "", Session{}, Anonymous, mapErr
	}
	userID, err := s.store.StaffLink(ctx, ps.Issuer, ps.Subject)
	switch apperr.CodeOf(err) {
	case "":
	case apperr.ENOTFOUND:
		if mapErr != nil {
			return "", Session{}, Anonymous, mapErr
		}
		// Link first, with the account's id chosen now: two first
		// sign-ins at once link one id, and a link whose account was
		// never written is completed below.
		userID = ids.New()
		if err := s.store.AddStaffLink(ctx, ps.Issuer, ps.Subject, userID, s.now().UTC()); err != nil {
			if apperr.CodeOf(err) != apperr.ECONFLICT {
				return "", Session{}, Anonymous, err
			}
			if userID, err = s.store.StaffLink(ctx, ps.Issuer, ps.Subject); err != nil {
				return "", Session{}, Anonymous, err
			}
		}
	default:
		return "", Session{}, Anonymous, err
	}
	if mapErr != nil {
		// Linked before, mapped no longer: end what the account has open.
		if err := s.signOutEverywhere(ctx, userID); err != nil {
			return "", Session{}, Anonymous, err
		}
		return "", Session{}, Anonymous, mapErr
	}
	u, err := s.providerAccount(ctx, userID, ps, role, agency)
	if err != nil {
		return "", Session{}, Anonymous, err
	}
	if err := s.RecordAssurance(ctx, u.ID, ps.ACR); err != nil {
		return "", Session{}, Anonymous, err
	}
	token = randomToken()
	now := s.now().UTC()
	sess = Session{Hash: hashToken(token), UserID: u.ID, CSRF: randomToken(), Stamp: sessionStamp(u.PasswordHash),
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(s.cfg.SessionMax)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, Anonymous, err
	}
	return token, sess, Principal{UserID: u.ID, Role: u.Role, AgencyCode: u.AgencyCode}, nil
}

// providerAccount creates or updates the linked account with the mapped
// role and agency and the provider's name and email.
func (s *Service) providerAccount(ctx context.Context, userID string, ps ProviderStaff, role Role, agency string) (*User, error) {
	var fs []apperr.FieldError
	name := cleanName("name", ps.Name, &fs)
	if len(fs) > 0 {
		name = "Cán bộ " + string(role)
	}
	email, ok := NormalizeEmail(ps.Email)
	if !ok {
		email = ""
	}
	now := s.now().UTC()
	for range 3 { // a concurrent change of the account: read it again
		u, err := s.store.GetUser(ctx, userID)
		if apperr.CodeOf(err) == apperr.ENOTFOUND {
			u = &User{ID: userID, Role: role, AgencyCode: agency, Name: name, Email: email, Locale: i18n.VI, CreatedAt: now, UpdatedAt: now}
			err = s.store.CreateUser(ctx, u)
			if apperr.CodeOf(err) == apperr.ECONFLICT && u.Email != "" {
				// The email is another account's: keep the two apart.
				u.Email = ""
				err = s.store.CreateUser(ctx, u)
			}
			if apperr.CodeOf(err) == apperr.ECONFLICT {
				continue // created meanwhile by a parallel sign-in
			}
			return u, err
		}
		if err != nil {
			return nil, err
		}
		if u.Disabled || u.Erased || !u.Role.IsStaff() {
			return nil, apperr.New(apperr.EFORBIDDEN, i18n.T("Tài khoản này đã bị khóa", "this account is disabled"))
		}
		if u.Role == role && u.AgencyCode == agency && u.Name == name {
			return u, nil
		}
		u.Role, u.AgencyCode, u.Name, u.UpdatedAt = role, agency, name, now
		err = s.store.UpdateUser(ctx, u)
		if apperr.CodeOf(err) == apperr.ECONFLICT { // a stale version: logins are not changed here
			continue
		}
		return u, err
	}
	return nil, apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Tài khoản đang được thay đổi; hãy thử lại", "the account is being changed; try again"))
}
