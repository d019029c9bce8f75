package api

import (
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

const localPrincipal = "principal"

// authenticate reads the bearer token, if any, into the request's
// principal. No header means an anonymous caller. A header with a bad token
// (malformed, expired, of an unknown key or a disabled account) leaves the
// caller anonymous and its error in the request: each route then decides,
// in registerRoutes, between tokenRequired (401, so a client learns its
// token is bad instead of silently acting anonymously) and tokenOptional
// (the public routes: they serve the public view and say so in
// HeaderToken, so an app whose token just expired still loads the feed).
func authenticate(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals(localPrincipal, identity.Anonymous)
		h := c.Get(fiber.HeaderAuthorization)
		if h == "" {
			return c.Next()
		}
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			c.Locals(localAuthErr, identity.ErrUnauthenticated())
			return c.Next()
		}
		p, err := svc.Authenticate(c.UserContext(), strings.TrimSpace(token))
		if err != nil {
			if apperr.CodeOf(err) != apperr.EUNAUTHORIZED { // the store failed: no route may guess
				return err
			}
			c.Locals(localAuthErr, err)
			return c.Next()
		}
		c.Locals(localPrincipal, p)
		return c.Next()
	}
}

const localAuthErr = "auth_error"

// HeaderToken tells a caller of a public route that the bearer token it
// sent was not valid (malformed, expired, unknown key, disabled account)
// and was ignored: the answer is the public view, as for an anonymous
// caller. Its only value is TokenIgnoredInvalid.
const (
	HeaderToken         = "X-Camaug-Token"
	TokenIgnoredInvalid = "ignored-invalid"
)

// publicRoutes are the routes that serve anyone and so ignore a bad
// optional token (see authenticate): public reads, the sign-in calls that
// do not act on the caller's token (an app whose access token expired
// must still be able to refresh it), and Open311, which knows no bearer
// tokens. Every other route, those added later included, refuses a bad
// token with 401.
var publicRoutes = map[string]bool{
	"GET /healthz":                                   true,
	"GET /readyz":                                    true,
	"GET /docs":                                      true,
	"GET /docs/:file":                                true,
	"GET /openapi.yaml":                              true,
	"GET /.well-known/jwks.json":                     true,
	"GET /v1/categories":                             true,
	"GET /v1/agencies":                               true,
	"GET /v1/areas":                                  true,
	"POST /v1/auth/login":                            true,
	"POST /v1/auth/refresh":                          true,
	"POST /v1/auth/logout":                           true,
	"GET /v1/reports":                                true,
	"GET /v1/reports.geojson":                        true,
	"GET /v1/reports/nearby":                         true,
	"GET /v1/media/:id":                              true,
	"GET /v1/media/:id/thumb":                        true,
	"GET /v1/indicators/feedback":                    true,
	"GET /v1/surveys/:id/form":                       true,
	"GET /open311/v2/discovery.:format":              true,
	"GET /open311/v2/services.:format":               true,
	"GET /open311/v2/services/:service_code.:format": true,
	"GET /open311/v2/requests.:format":               true,
	"POST /open311/v2/requests.:format":              true,
	"GET /open311/v2/requests/:id.:format":           true,
	"GET /open311/v2/tokens/:token.:format":          true,
}

// PublicRoutes lists the routes that ignore a bad optional token, as
// "METHOD /pattern", sorted.
func PublicRoutes() []string {
	out := make([]string, 0, len(publicRoutes))
	for k := range publicRoutes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// tokenCheck is the first handler of the route method+path: tokenOptional
// for the public routes, tokenRequired for the others.
func tokenCheck(method, path string) fiber.Handler {
	if publicRoutes[method+" "+path] {
		return tokenOptional
	}
	return tokenRequired
}

// tokenRequired refuses a request whose bearer token was bad.
func tokenRequired(c *fiber.Ctx) error {
	if err, ok := c.Locals(localAuthErr).(error); ok {
		return err
	}
	return c.Next()
}

// tokenOptional serves a request whose bearer token was bad as an
// anonymous one, and says so.
func tokenOptional(c *fiber.Ctx) error {
	if _, ok := c.Locals(localAuthErr).(error); ok {
		c.Set(HeaderToken, TokenIgnoredInvalid)
	}
	return c.Next()
}

func principal(c *fiber.Ctx) identity.Principal {
	p, _ := c.Locals(localPrincipal).(identity.Principal)
	return p
}

// require lets the request through only when the caller's role grants perm.
func require(perm identity.Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := principal(c).Require(perm); err != nil {
			return err
		}
		return c.Next()
	}
}

type tokensOut struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func toTokens(t identity.Tokens) tokensOut {
	return tokensOut{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: "Bearer", ExpiresIn: t.ExpiresIn}
}

type userOut struct {
	ID         string    `json:"id"`
	Role       string    `json:"role"`
	Name       string    `json:"name,omitempty"`
	Email      string    `json:"email,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	AgencyCode string    `json:"agency_code,omitempty"`
	Locale     string    `json:"locale"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
}

var zone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}()

// lastShownTime is the latest time JSON can carry (a four-digit year) in
// the service's zone.
var lastShownTime = time.Date(9999, 12, 31, 23, 59, 59, 0, zone)

// local shows a stored time in the service's zone. Stored data may hold a
// time no JSON can carry (a deadline in year 9999 is year 10000 at +07:00);
// such a time shows as the last one that can, so no answer fails on it.
func local(t time.Time) time.Time {
	if t.After(lastShownTime) {
		return lastShownTime
	}
	return t.In(zone)
}

func toUser(u *identity.User) userOut {
	return userOut{ID: u.ID, Role: string(u.Role), Name: u.Name, Email: u.Email, Phone: u.Phone, AgencyCode: u.AgencyCode,
		Locale: string(u.Locale), Disabled: u.Disabled, CreatedAt: local(u.CreatedAt)}
}

type registerIn struct {
	Phone    string `json:"phone" validate:"max=32"`
	Email    string `json:"email" validate:"max=254"`
	Password string `json:"password" validate:"required,max=256"`
	Name     string `json:"name" validate:"required,max=200"`
	Locale   string `json:"locale" validate:"omitempty,oneof=vi en"`
}

type registeredOut struct {
	User userOut `json:"user"`
	tokensOut
}

// register creates a citizen account. Attempts are limited per client
// address, counted before anything is checked: the 409 for a taken phone
// or email must not let a script enumerate them.
func register(svc *identity.Service, lim Limits) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.Limit(c.UserContext(), "register:"+ClientAddr(c), lim.RegistrationsPerAddress, lim.AddressWindow); err != nil {
			return err
		}
		var in registerIn
		if err := decodeJSON(c, &in); err != nil {
			return alsoInvalid(err, identity.CheckRegistration(identity.RegisterInput(in)))
		}
		u, tokens, err := svc.Register(c.UserContext(), principal(c), identity.RegisterInput(in))
		if err != nil {
			return err
		}
		c.Status(fiber.StatusCreated)
		return c.JSON(registeredOut{User: toUser(u), tokensOut: toTokens(tokens)})
	}
}

type guestIn struct {
	DeviceID    string `json:"device_id" validate:"required,min=8,max=200"`
	GuestSecret string `json:"guest_secret" validate:"max=200"`
	Locale      string `json:"locale" validate:"omitempty,oneof=vi en"`
}

type guestOut struct {
	registeredOut
	GuestSecret string `json:"guest_secret,omitempty"`
}

// guest signs a device in, at most lim.GuestsPerAddress times a window
// per client address. The secret issued on a device's first sign-in is
// shown that once: never cached on its way back.
func guest(svc *identity.Service, lim Limits) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.Limit(c.UserContext(), "guest:"+ClientAddr(c), lim.GuestsPerAddress, lim.AddressWindow); err != nil {
			return err
		}
		var in guestIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		g, err := svc.Guest(c.UserContext(), principal(c), identity.GuestInput{DeviceID: in.DeviceID, Secret: in.GuestSecret, Locale: in.Locale})
		if err != nil {
			return err
		}
		c.Status(fiber.StatusCreated)
		return c.JSON(guestOut{registeredOut: registeredOut{User: toUser(g.User), tokensOut: toTokens(g.Tokens)}, GuestSecret: g.Secret})
	}
}

type loginIn struct {
	Login    string `json:"login" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=256"`
}

func login(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in loginIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		tokens, err := svc.Login(c.UserContext(), in.Login, in.Password, ClientAddr(c))
		if err != nil {
			return err
		}
		return c.JSON(toTokens(tokens))
	}
}

type refreshIn struct {
	RefreshToken string `json:"refresh_token" validate:"required,max=200"`
}

func refresh(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in refreshIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		tokens, err := svc.Refresh(c.UserContext(), in.RefreshToken)
		if err != nil {
			return err
		}
		return c.JSON(toTokens(tokens))
	}
}

func logout(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in refreshIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		if err := svc.Logout(c.UserContext(), in.RefreshToken); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func jwks(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return c.JSON(fiber.Map{"keys": svc.Keys().JWKS()})
	}
}

func getMe(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, err := svc.Me(c.UserContext(), principal(c))
		if err != nil {
			return err
		}
		return c.JSON(toUser(u))
	}
}

type patchMeIn struct {
	Name   *string `json:"name" validate:"omitempty,max=200"`
	Locale *string `json:"locale" validate:"omitempty,oneof=vi en"`
}

func patchMe(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in patchMeIn
		if err := decodeJSON(c, &in); err != nil {
			return alsoInvalid(err, identity.CheckMeUpdate(identity.MeUpdate(in)))
		}
		u, err := svc.UpdateMe(c.UserContext(), principal(c), identity.MeUpdate(in))
		if err != nil {
			return err
		}
		return c.JSON(toUser(u))
	}
}

type passwordIn struct {
	CurrentPassword string `json:"current_password" validate:"max=256"` // not needed to set the first password
	NewPassword     string `json:"new_password" validate:"required,max=256"`
}

func changePassword(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in passwordIn
		if err := decodeJSON(c, &in); err != nil {
			return alsoInvalid(err, identity.CheckNewPassword(in.NewPassword))
		}
		if err := svc.ChangePassword(c.UserContext(), principal(c), in.CurrentPassword, in.NewPassword, ClientAddr(c)); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

func deleteMe(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := svc.DeleteMe(c.UserContext(), principal(c)); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

type userPage struct {
	Items      []userOut `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

func listUsers(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		roles := make([]string, len(identity.Roles))
		for i, r := range identity.Roles {
			roles[i] = string(r)
		}
		after, limit, role := q.Cursor(identity.DecodeCursor), q.Int("limit", 50, 1, 200), identity.Role(q.Enum("role", roles...))
		agency := q.String("agency_code", 200)
		if err := q.Err(); err != nil {
			return err
		}
		users, err := svc.ListUsers(c.UserContext(), principal(c), identity.UserFilter{Role: role, AgencyCode: agency, After: after, Limit: limit})
		if err != nil {
			return err
		}
		out := userPage{Items: make([]userOut, 0, len(users))}
		for i := range users {
			out.Items = append(out.Items, toUser(&users[i]))
		}
		if len(users) == limit {
			next := identity.EncodeCursor(users[len(users)-1].ID)
			out.NextCursor = &next
		}
		return c.JSON(out)
	}
}

type createUserIn struct {
	Role       string `json:"role" validate:"required,oneof=officer agency_admin coordinator analyst admin"`
	Email      string `json:"email" validate:"required,max=254"`
	Phone      string `json:"phone" validate:"max=32"`
	Name       string `json:"name" validate:"required,max=200"`
	Password   string `json:"password" validate:"required,max=256"`
	AgencyCode string `json:"agency_code" validate:"max=64"`
}

func createUser(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in createUserIn
		err := decodeJSON(c, &in)
		staff := identity.StaffInput{Role: identity.Role(in.Role), Email: in.Email,
			Phone: in.Phone, Name: in.Name, Password: in.Password, AgencyCode: in.AgencyCode}
		if err != nil {
			return alsoInvalid(err, svc.CheckStaff(c.UserContext(), staff))
		}
		u, err := svc.CreateStaff(c.UserContext(), principal(c), staff)
		if err != nil {
			return err
		}
		c.Status(fiber.StatusCreated)
		c.Location("/v1/admin/users/" + u.ID)
		return c.JSON(toUser(u))
	}
}

type patchUserIn struct {
	Role       *string `json:"role" validate:"omitempty,oneof=officer agency_admin coordinator analyst admin"`
	AgencyCode *string `json:"agency_code" validate:"omitempty,max=64"`
	Disabled   *bool   `json:"disabled"`
	Name       *string `json:"name" validate:"omitempty,max=200"`
}

func patchUser(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		if !ids.Valid(id) {
			return invalidQuery("id", "Mã tài khoản không hợp lệ", "is not an account id")
		}
		var in patchUserIn
		err := decodeJSON(c, &in)
		var role *identity.Role
		if in.Role != nil {
			r := identity.Role(*in.Role)
			role = &r
		}
		up := identity.StaffUpdate{Role: role, AgencyCode: in.AgencyCode, Disabled: in.Disabled, Name: in.Name}
		if err != nil {
			return alsoInvalid(err, svc.CheckStaffUpdate(c.UserContext(), up))
		}
		u, err := svc.UpdateStaff(c.UserContext(), principal(c), string([]byte(id)), up)
		if err != nil {
			return err
		}
		return c.JSON(toUser(u))
	}
}

type temporaryPasswordOut struct {
	TemporaryPassword string `json:"temporary_password"`
}

// resetPassword gives a staff account a temporary password, shown once:
// never cached anywhere on its way back.
func resetPassword(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		if !ids.Valid(id) {
			return invalidQuery("id", "Mã tài khoản không hợp lệ", "is not an account id")
		}
		password, err := svc.ResetPassword(c.UserContext(), principal(c), string([]byte(id)))
		if err != nil {
			return err
		}
		return c.JSON(temporaryPasswordOut{TemporaryPassword: password})
	}
}
