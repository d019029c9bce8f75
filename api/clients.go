package api

import (
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apiclient"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// HeaderAPIKey carries a machine client's key ("cmg_<id>_<secret>").
const HeaderAPIKey = "X-Api-Key"

const localClient = "api_client"

// apiClient returns the machine client that authenticated the request, if
// one did.
func apiClient(c *fiber.Ctx) *apiclient.Client {
	cl, _ := c.Locals(localClient).(*apiclient.Client)
	return cl
}

// clientScope is the scope a client key needs for a request, by method
// and path; ok is false where no key is accepted at all (accounts, the
// workflow, administration: a key is not a person). Reference data and
// the operations endpoints need a valid key only.
func clientScope(method, path string) (scope apiclient.Scope, ok bool) {
	read := method == fiber.MethodGet || method == fiber.MethodHead
	switch {
	case read && strings.HasPrefix(path, "/v1/stats/"):
		return apiclient.ScopeStatsRead, true
	case method == fiber.MethodPost && strings.HasPrefix(path, "/open311/v2/requests."):
		return apiclient.ScopeOpen311Write, true
	case read && (path == "/healthz" || path == "/readyz" || path == "/openapi.yaml" ||
		path == "/v1/categories" || path == "/v1/agencies" || path == "/v1/areas"):
		return "", true
	case read && (path == "/v1/reports" || path == "/v1/reports.geojson" || path == "/v1/indicators/feedback" ||
		strings.HasPrefix(path, "/open311/v2/") || strings.HasPrefix(path, "/v1/media/") ||
		(strings.HasPrefix(path, "/v1/reports/") && strings.Count(path, "/") == 3)):
		return apiclient.ScopeReportsRead, true
	}
	return "", false
}

// authenticateClient reads an API key from X-Api-Key. A key is checked
// against the store on every request (so a revocation anywhere refuses it
// at once), must hold the scope the route needs, and counts against the
// client's requests-a-minute limit in the store (shared by instances).
// Every call is logged with the client's ID. A request may not carry both
// a key and a bearer token.
func authenticateClient(clients *apiclient.Service, limits *identity.Service, log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get(HeaderAPIKey)
		if key == "" {
			return c.Next()
		}
		if c.Get(fiber.HeaderAuthorization) != "" {
			return apperr.Invalid(i18n.T("Không gửi cùng lúc khóa API và token", "send either an API key or a bearer token, not both"),
				apperr.FieldError{Field: HeaderAPIKey, Message: i18n.T("Không dùng cùng Authorization", "must not come with Authorization")})
		}
		if clients == nil {
			return apiclient.ErrBadKey()
		}
		cl, err := clients.Authenticate(c.UserContext(), strings.TrimSpace(key))
		if err != nil {
			return err
		}
		scope, ok := clientScope(c.Method(), c.Path())
		if !ok || (scope != "" && !cl.Has(scope)) {
			log.Info("api client refused", "client_id", cl.ID, "method", c.Method(), "path", c.Path(), "request_id", requestID(c))
			return apperr.New(apperr.EFORBIDDEN, i18n.T("Khóa API không có quyền cho yêu cầu này", "the API key's scopes do not allow this request"))
		}
		if err := limits.Limit(c.UserContext(), "client:"+cl.ID, cl.RateLimit, time.Minute); err != nil {
			log.Info("api client rate limited", "client_id", cl.ID, "method", c.Method(), "path", c.Path(), "request_id", requestID(c))
			return err
		}
		c.Locals(localClient, cl)
		err = c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status = StatusOf(err)
		}
		log.Info("api client call", "client_id", cl.ID, "method", c.Method(), "path", c.Path(), "status", status, "request_id", requestID(c))
		return err
	}
}

// requireScopeOr lets through a client holding scope, or a person whose
// role grants perm. Nobody: 401; anyone else: 403.
func requireScopeOr(scope apiclient.Scope, perm identity.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if cl := apiClient(c); cl != nil {
			if !cl.Has(scope) {
				return apperr.New(apperr.EFORBIDDEN, i18n.T("Khóa API không có quyền cho yêu cầu này", "the API key's scopes do not allow this request"))
			}
			return c.Next()
		}
		return require(perm)(c)
	}
}

type webhookIn struct {
	URL      string   `json:"url" validate:"required,max=1000"`
	Events   []string `json:"events" validate:"max=32"`
	Parties  []string `json:"parties" validate:"max=2"`
	Agencies []string `json:"agencies" validate:"max=200"`
}

type clientIn struct {
	Name      string     `json:"name" validate:"required,max=200"`
	Scopes    []string   `json:"scopes" validate:"required,min=1,max=8"`
	RateLimit int        `json:"rate_limit" validate:"min=0,max=100000"`
	Webhook   *webhookIn `json:"webhook"`
}

func (in clientIn) input() apiclient.Input {
	out := apiclient.Input{Name: in.Name, Scopes: in.Scopes, RateLimit: in.RateLimit}
	if w := in.Webhook; w != nil {
		out.Webhook = &apiclient.WebhookInput{URL: w.URL, Events: w.Events, Parties: w.Parties, Agencies: w.Agencies}
	}
	return out
}

type webhookOut struct {
	URL      string   `json:"url"`
	Events   []string `json:"events"`
	Parties  []string `json:"parties"`
	Agencies []string `json:"agencies"`
}

type clientOut struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	Scopes       []string    `json:"scopes"`
	RateLimit    int         `json:"rate_limit"`
	KeyPrefix    string      `json:"key_prefix"`
	CreatedAt    time.Time   `json:"created_at"`
	RotatedAt    *time.Time  `json:"rotated_at"`
	PrevKeyUntil *time.Time  `json:"previous_key_valid_until"`
	RevokedAt    *time.Time  `json:"revoked_at"`
	LastUsedAt   *time.Time  `json:"last_used_at"`
	Webhook      *webhookOut `json:"webhook"`
}

type clientKeyOut struct {
	clientOut
	Key           string `json:"key"`
	WebhookSecret string `json:"webhook_secret,omitempty"`
}

func localPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	l := local(*t)
	return &l
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func toClient(cl *apiclient.Client, now time.Time) clientOut {
	out := clientOut{ID: cl.ID, Name: cl.Name, Scopes: []string{}, RateLimit: cl.RateLimit, KeyPrefix: apiclient.KeyPrefix + cl.ID + "_",
		CreatedAt: local(cl.CreatedAt), RotatedAt: localPtr(cl.RotatedAt), RevokedAt: localPtr(cl.RevokedAt), LastUsedAt: localPtr(cl.LastUsedAt)}
	for _, s := range cl.Scopes {
		out.Scopes = append(out.Scopes, string(s))
	}
	if cl.PrevKeyHash != "" && now.Before(cl.PrevKeyUntil) {
		out.PrevKeyUntil = localPtr(&cl.PrevKeyUntil)
	}
	if w := cl.Webhook; w != nil {
		out.Webhook = &webhookOut{URL: w.URL, Events: orEmpty(w.Events), Parties: orEmpty(w.Parties), Agencies: orEmpty(w.Agencies)}
	}
	return out
}

func clientID(c *fiber.Ctx) string { return strings.Clone(c.Params("id")) }

// listClients is GET /v1/admin/clients.
func listClients(svc *apiclient.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		list, err := svc.List(c.UserContext())
		if err != nil {
			return err
		}
		out := struct {
			Items      []clientOut `json:"items"`
			NextCursor *string     `json:"next_cursor"`
		}{Items: make([]clientOut, 0, len(list))}
		for i := range list {
			out.Items = append(out.Items, toClient(&list[i], time.Now()))
		}
		return c.JSON(out)
	}
}

// getClient is GET /v1/admin/clients/{id}.
func getClient(svc *apiclient.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cl, err := svc.Get(c.UserContext(), clientID(c))
		if err != nil {
			return err
		}
		return c.JSON(toClient(cl, time.Now()))
	}
}

// createClient is POST /v1/admin/clients: the key (and the webhook's
// secret) are in this answer only, never cached on their way back.
func createClient(svc *apiclient.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in clientIn
		if err := decodeJSON(c, &in); err != nil {
			return alsoInvalid(err, apiclient.CheckFields(in.input()))
		}
		made, err := svc.Create(c.UserContext(), in.input())
		if err != nil {
			return err
		}
		c.Status(fiber.StatusCreated)
		c.Location("/v1/admin/clients/" + made.Client.ID)
		return c.JSON(clientKeyOut{clientOut: toClient(made.Client, time.Now()), Key: made.Key, WebhookSecret: made.WebhookSecret})
	}
}

type rotateIn struct {
	OverlapSeconds *int `json:"overlap_seconds" validate:"omitempty,min=0,max=604800"`
}

// rotateClient is POST /v1/admin/clients/{id}/rotate: a new key, shown
// once; the old one keeps working for overlap_seconds (default an hour).
func rotateClient(svc *apiclient.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in rotateIn
		if len(c.Body()) > 0 || c.Get(fiber.HeaderContentType) != "" {
			if err := decodeJSON(c, &in); err != nil {
				return err
			}
		}
		overlap := apiclient.DefaultOverlap
		if in.OverlapSeconds != nil {
			overlap = time.Duration(*in.OverlapSeconds) * time.Second
		}
		made, err := svc.Rotate(c.UserContext(), clientID(c), overlap)
		if err != nil {
			return err
		}
		return c.JSON(clientKeyOut{clientOut: toClient(made.Client, time.Now()), Key: made.Key})
	}
}

// revokeClient is POST /v1/admin/clients/{id}/revoke: every key of the
// client is refused from the next request on, on every instance.
func revokeClient(svc *apiclient.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cl, err := svc.Revoke(c.UserContext(), clientID(c))
		if err != nil {
			return err
		}
		return c.JSON(toClient(cl, time.Now()))
	}
}
