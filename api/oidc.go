package api

import (
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/oidc"
)

// typedProblem gives an error its own problem type (ProblemTypePrefix +
// slug) instead of its code's; the status and messages stay the code's.
type typedProblem struct {
	slug string
	err  error
}

func (e typedProblem) Error() string { return e.err.Error() }
func (e typedProblem) Unwrap() error { return e.err }

// problemSlug returns the slug of a typedProblem in err's chain, or "".
func problemSlug(err error) string {
	var tp typedProblem
	if errors.As(err, &tp) {
		return tp.slug
	}
	return ""
}

// The problem types of OpenID Connect sign-in (each listed in openapi.yaml).
const (
	slugOIDCDisabled    = "oidc-disabled"
	slugOIDCUnavailable = "oidc-provider-unavailable"
	slugOIDCInvalid     = "oidc-token-invalid"
	slugOIDCReplayed    = "oidc-token-replayed"
	slugOIDCLinkRefused = "oidc-link-refused"
	slugLastSignIn      = "last-sign-in-method"
)

type oidcTokenIn struct {
	IDToken string `json:"id_token" validate:"required,max=16384"`
	Nonce   string `json:"nonce" validate:"max=512"`
}

// oidcToken exchanges an id_token of the province's provider for our
// tokens (the app's sign-in with the province's shared accounts). Refused
// tokens are logged with the reason only, never their content.
func oidcToken(svc *identity.Service, rp *oidc.Provider, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !rp.Enabled() {
			return typedProblem{slugOIDCDisabled, apperr.NotFound(i18n.T(
				"Đăng nhập bằng tài khoản dùng chung của tỉnh chưa được cấu hình",
				"sign-in with the province's shared accounts is not configured"))}
		}
		var in oidcTokenIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		id, err := rp.VerifyAppToken(c.UserContext(), in.IDToken, in.Nonce)
		if err != nil {
			return oidcError(c, log, err)
		}
		res, err := svc.SignInExternal(c.UserContext(), identity.External{
			Issuer: id.Issuer, Subject: id.Subject, Phone: id.Phone, PhoneVerified: id.PhoneVerified,
			Name: id.Name, ReplayKey: id.ReplayKey, Expiry: id.Expiry,
		})
		switch {
		case errors.Is(err, identity.ErrTokenReplayed):
			log.Warn("oidc token refused", "request_id", requestID(c), "reason", "replayed", "client", ClientAddr(c))
			return typedProblem{slugOIDCReplayed, err}
		case errors.Is(err, identity.ErrLinkRefused):
			log.Warn("oidc link refused", "request_id", requestID(c), "client", ClientAddr(c))
			return typedProblem{slugOIDCLinkRefused, err}
		case err != nil:
			return err
		}
		if res.TakenOver {
			log.Warn("oidc take-over: a provider-verified phone took over an account", "request_id", requestID(c), "user_id", res.User.ID)
		}
		// The acr it states now decides whether the account counts as a
		// verified identity (its survey answers: the verified channel).
		if err := svc.RecordAssurance(c.UserContext(), res.User.ID, id.ACR); err != nil {
			return err
		}
		return c.JSON(toTokens(res.Tokens))
	}
}

// oidcError turns a verification failure into its problem and logs it.
func oidcError(c *fiber.Ctx, log *slog.Logger, err error) error {
	var te *oidc.TokenError
	switch {
	case errors.As(err, &te):
		log.Warn("oidc token refused", "request_id", requestID(c), "reason", te.Reason, "client", ClientAddr(c))
		return typedProblem{slugOIDCInvalid, apperr.New(apperr.EUNAUTHORIZED, i18n.T(
			"Token của nhà cung cấp định danh không hợp lệ hoặc đã hết hạn",
			"the provider's token is invalid or expired"))}
	case errors.Is(err, oidc.ErrUnavailable):
		log.Warn("oidc provider unavailable", "request_id", requestID(c), "error", err.Error())
		return typedProblem{slugOIDCUnavailable, &apperr.Error{Code: apperr.EUNAVAILABLE, RetryAfter: 30 * time.Second,
			Message: i18n.T("Không kết nối được hệ thống tài khoản dùng chung của tỉnh; hãy thử lại sau hoặc đăng nhập bằng mật khẩu",
				"the province's shared account service cannot be reached; try again later or sign in with a password")}}
	case errors.Is(err, oidc.ErrDisabled):
		return typedProblem{slugOIDCDisabled, apperr.NotFound(i18n.T(
			"Đăng nhập bằng tài khoản dùng chung của tỉnh chưa được cấu hình",
			"sign-in with the province's shared accounts is not configured"))}
	}
	return err
}

type identityLinkOut struct {
	ID        string    `json:"id"`
	Issuer    string    `json:"issuer"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
}

type accountEventOut struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Issuer string    `json:"issuer,omitempty"`
}

type identitiesOut struct {
	Items       []identityLinkOut `json:"items"`
	HasPassword bool              `json:"has_password"`
	History     []accountEventOut `json:"history"`
}

func myIdentities(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := svc.Me(c.UserContext(), principal(c))
		if err != nil {
			return err
		}
		ids, err := svc.MyIdentities(c.UserContext(), principal(c))
		if err != nil {
			return err
		}
		out := identitiesOut{Items: []identityLinkOut{}, HasPassword: u.PasswordHash != "", History: []accountEventOut{}}
		for _, l := range ids.Links {
			out.Items = append(out.Items, identityLinkOut{ID: l.ID, Issuer: l.Issuer, Subject: l.Subject, CreatedAt: local(l.CreatedAt)})
		}
		for _, e := range ids.History {
			out.History = append(out.History, accountEventOut{Kind: e.Kind, At: local(e.At), Issuer: e.Issuer})
		}
		return c.JSON(out)
	}
}

func unlinkIdentity(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := svc.Unlink(c.UserContext(), principal(c), c.Params("id"))
		if errors.Is(err, identity.ErrLastSignIn) {
			return typedProblem{slugLastSignIn, err}
		}
		if err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}
