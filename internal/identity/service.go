package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// Config tunes the identity service.
type Config struct {
	// PasswordCost is the argon2id cost of new hashes; zero is the
	// production cost. Tests lower it (see ArgonCost).
	PasswordCost ArgonCost
	Issuer       string        // "camaug"
	Audience     string        // "camaug-api"
	AccessTTL    time.Duration // 15 minutes
	RefreshTTL   time.Duration // 30 days
	// Sign-in attempts allowed per (account, client address) and per
	// client address in one window before 429; a success clears the
	// account's count for that address.
	MaxFailuresPerAccount int // 5
	// Every sign-in attempt from one address counts, successes too (they
	// are counted before the password is checked), so the default leaves
	// room for an office or a carrier's NAT where many people share one
	// public address.
	MaxFailuresPerAddress int           // 100
	FailureWindow         time.Duration // 15 minutes
	// An address that already tried an account in the window, without
	// success since, waits before its next password check: nothing for
	// the account's first FreeFailures failures in the window (from every
	// address), then FailureDelay, doubling with each further failure,
	// up to MaxFailureDelay. A clean address never waits.
	FreeFailures    int           // 3
	FailureDelay    time.Duration // 250 milliseconds
	MaxFailureDelay time.Duration // 4 seconds
	// AttemptRetention is how long SweepAttempts keeps a window's counts
	// after it started: at least the longest window the service counts
	// in (15 minutes for sign-ins and registrations, an hour for
	// supports). Default 2 hours.
	AttemptRetention time.Duration
	// Staff console sessions end after SessionIdle without a request, and
	// SessionMax after sign-in whatever happens.
	SessionIdle time.Duration // 30 minutes
	SessionMax  time.Duration // 12 hours
	// HashMemoryMiB is the memory that password hashing may hold at once
	// (96 MiB: each argon2id hash holds 19 MiB); with GOMAXPROCS it sets
	// how many hashes run at once. A request waits at most HashWait (2 s)
	// for its turn, then gets EUNAVAILABLE with RetryAfter.
	HashMemoryMiB int
	HashWait      time.Duration
	// HashConcurrency, when set, replaces the number of hashes run at once
	// derived from GOMAXPROCS (tests that hash in parallel use it).
	HashConcurrency int
	// AgencyExists returns an error unless the agency code is known.
	AgencyExists func(ctx context.Context, code string) error
	Now          func() time.Time
}

func (c *Config) defaults() {
	if c.Issuer == "" {
		c.Issuer = "camaug"
	}
	if c.Audience == "" {
		c.Audience = "camaug-api"
	}
	if c.AccessTTL == 0 {
		c.AccessTTL = 15 * time.Minute
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = 30 * 24 * time.Hour
	}
	if c.MaxFailuresPerAccount == 0 {
		c.MaxFailuresPerAccount = 5
	}
	if c.MaxFailuresPerAddress == 0 {
		c.MaxFailuresPerAddress = 100
	}
	if c.FailureWindow == 0 {
		c.FailureWindow = 15 * time.Minute
	}
	if c.FreeFailures == 0 {
		c.FreeFailures = 3
	}
	if c.FailureDelay == 0 {
		c.FailureDelay = 250 * time.Millisecond
	}
	if c.MaxFailureDelay == 0 {
		c.MaxFailureDelay = 4 * time.Second
	}
	if c.AttemptRetention == 0 {
		c.AttemptRetention = 2 * time.Hour
	}
	if c.SessionIdle == 0 {
		c.SessionIdle = 30 * time.Minute
	}
	if c.SessionMax == 0 {
		c.SessionMax = 12 * time.Hour
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HashMemoryMiB == 0 {
		c.HashMemoryMiB = 96
	}
	if c.HashWait == 0 {
		c.HashWait = 2 * time.Second
	}
	if c.AgencyExists == nil {
		c.AgencyExists = func(context.Context, string) error { return nil }
	}
}

// Service is the identity use cases.
type Service struct {
	store Store
	keys  *Keyring
	cfg   Config
	// longestWindow is the longest window Limit was called with, in
	// nanoseconds, so SweepAttempts never removes a live count.
	longestWindow atomic.Int64
	gate          *hashGate
	// dummy is verified against for unknown logins (see dummyHash), at
	// this service's cost.
	dummy string
	// verified caches access tokens already verified (see verifiedCache).
	verified *verifiedCache
}

// NewService returns the service.
func NewService(store Store, keys *Keyring, cfg Config) *Service {
	cfg.defaults()
	s := &Service{store: store, keys: keys, cfg: cfg, gate: newHashGate(cfg.HashMemoryMiB, cfg.HashConcurrency, cfg.HashWait), dummy: dummyHash,
		verified: newVerifiedCache(verifiedCacheSize)}
	if cfg.PasswordCost.orDefault() != (ArgonCost{}).orDefault() {
		// An unknown login costs what a known one does.
		s.dummy = hashPasswordCost("camaug-no-such-account", cfg.PasswordCost)
	}
	return s
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Keys returns the keyring (for the JWKS route and rotation).
func (s *Service) Keys() *Keyring { return s.keys }

// Tokens is what a successful sign-in returns.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int // seconds
}

func (s *Service) issue(ctx context.Context, u *User, family string) (Tokens, error) {
	access, err := s.issueAccess(ctx, u)
	if err != nil {
		return Tokens{}, err
	}
	token, hash := newRefreshToken()
	if family == "" {
		family = ids.New()
	}
	now := s.now().UTC()
	if err := s.store.AddRefreshToken(ctx, RefreshToken{Hash: hash, FamilyID: family, UserID: u.ID,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL)}); err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: token, ExpiresIn: int(s.cfg.AccessTTL.Seconds())}, nil
}

func invalid(fields ...apperr.FieldError) error {
	return apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fields...)
}

func field(name, vi, en string) apperr.FieldError {
	return apperr.FieldError{Field: name, Message: i18n.T(vi, en)}
}

// cleanName trims and NFC-normalizes a person's name and checks its length.
func cleanName(fieldName, name string, fs *[]apperr.FieldError) string {
	name = strings.Join(strings.Fields(i18n.CleanText(name)), " ")
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		*fs = append(*fs, field(fieldName, "Bắt buộc nhập họ tên", "is required"))
	case n > 100:
		*fs = append(*fs, field(fieldName, "Họ tên tối đa 100 ký tự", "must be at most 100 characters"))
	}
	return name
}

func parseLocale(s string, fs *[]apperr.FieldError) i18n.Lang {
	switch s {
	case "", "vi":
		return i18n.VI
	case "en":
		return i18n.EN
	}
	*fs = append(*fs, field("locale", "Chỉ hỗ trợ vi hoặc en", "must be vi or en"))
	return i18n.VI
}

// RegisterInput is a citizen's sign-up.
type RegisterInput struct {
	Phone, Email, Password, Name, Locale string
}

// Register creates a citizen account. A guest caller's account becomes the
// citizen account (same ID), so everything the guest reported moves with
// it. Returns EINVALID listing every bad field and ECONFLICT when the phone
// or email is taken.
func (s *Service) Register(ctx context.Context, caller Principal, in RegisterInput) (*User, Tokens, error) {
	u, fs := newCitizen(in)
	if len(fs) > 0 {
		return nil, Tokens{}, invalid(fs...)
	}
	var err error
	if u.PasswordHash, err = s.hash(ctx, in.Password); err != nil {
		return nil, Tokens{}, err
	}

	if caller.Role == RoleGuest {
		guest, err := s.store.GetUser(ctx, caller.UserID)
		if err != nil {
			return nil, Tokens{}, err
		}
		guest.Role, guest.Phone, guest.Email, guest.Name, guest.Locale, guest.PasswordHash, guest.DeviceHash, guest.GuestSecretHash =
			u.Role, u.Phone, u.Email, u.Name, u.Locale, u.PasswordHash, "", ""
		guest.UpdatedAt = s.now().UTC()
		if err := s.store.UpdateUser(ctx, guest); err != nil {
			return nil, Tokens{}, s.loginTaken(err)
		}
		if err := s.store.RevokeUserTokens(ctx, guest.ID); err != nil {
			return nil, Tokens{}, err
		}
		tokens, err := s.issue(ctx, guest, "")
		return guest, tokens, err
	}
	u.ID = ids.New()
	u.CreatedAt = s.now().UTC()
	u.UpdatedAt = u.CreatedAt
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, Tokens{}, s.loginTaken(err)
	}
	tokens, err := s.issue(ctx, u, "")
	return u, tokens, err
}

// newCitizen is the account in describes, and every rule in breaks.
func newCitizen(in RegisterInput) (*User, []apperr.FieldError) {
	var fs []apperr.FieldError
	u := &User{Role: RoleCitizen}
	if in.Phone == "" && in.Email == "" {
		fs = append(fs, field("phone", "Cần số điện thoại hoặc email", "a phone number or an email is required"))
	}
	if in.Phone != "" {
		var ok bool
		if u.Phone, ok = NormalizePhone(in.Phone); !ok {
			fs = append(fs, field("phone", "Số di động Việt Nam không hợp lệ", "is not a valid Vietnamese mobile number"))
		}
	}
	if in.Email != "" {
		var ok bool
		if u.Email, ok = NormalizeEmail(in.Email); !ok {
			fs = append(fs, field("email", "Email không hợp lệ", "is not a valid email address"))
		}
	}
	if fe := checkPassword("password", in.Password, u.Email, u.Phone, in.Email, in.Phone); fe != nil {
		fs = append(fs, *fe)
	}
	u.Name = cleanName("name", in.Name, &fs)
	u.Locale = parseLocale(in.Locale, &fs)
	return u, fs
}

// CheckRegistration lists every rule in breaks, writing nothing: what
// Register would refuse it for.
func CheckRegistration(in RegisterInput) []apperr.FieldError {
	_, fs := newCitizen(in)
	return fs
}

func (s *Service) loginTaken(err error) error {
	if apperr.CodeOf(err) == apperr.ECONFLICT {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Số điện thoại hoặc email đã được dùng cho tài khoản khác",
			"the phone number or email is already used by another account"))
	}
	return err
}

// GuestInput is a device's guest sign-in.
type GuestInput struct {
	DeviceID string
	// Secret is what the first sign-in of the device returned; empty on
	// that first sign-in.
	Secret string
	Locale string
}

// GuestSignIn is a guest sign-in's outcome. Secret is set only when the
// service issued one (the device's first sign-in): the app keeps it, the
// service keeps only its hash.
type GuestSignIn struct {
	User   *User
	Tokens Tokens
	Secret string
}

func errGuestSecret() error {
	return apperr.New(apperr.EUNAUTHORIZED, i18n.T("Mã bí mật của thiết bị không đúng", "wrong device secret"))
}

// Guest signs a device in without any personal data. A device ID never
// seen before gets a new guest account and a secret, issued once; the
// device ID and that secret together sign the same account in again, so
// knowing (or guessing) a device ID alone gives nothing. A guest created
// before secrets existed has none: it gets one only when the caller is
// that guest (a valid token of the account), and its device ID alone is
// refused like a wrong secret. Returns EINVALID listing every bad field
// and EUNAUTHORIZED for a wrong or missing secret or a disabled account.
func (s *Service) Guest(ctx context.Context, caller Principal, in GuestInput) (GuestSignIn, error) {
	var fs []apperr.FieldError
	deviceID := strings.TrimSpace(in.DeviceID)
	if n := len(deviceID); n < 8 || n > 200 {
		fs = append(fs, field("device_id", "Mã thiết bị phải từ 8 đến 200 ký tự", "must be 8 to 200 characters"))
	}
	if len(in.Secret) > 200 {
		fs = append(fs, field("guest_secret", "Mã bí mật tối đa 200 ký tự", "must be at most 200 characters"))
	}
	lang := parseLocale(in.Locale, &fs)
	if len(fs) > 0 {
		return GuestSignIn{}, invalid(fs...)
	}
	sum := sha256.Sum256([]byte("camaug device\x00" + deviceID))
	hash := hex.EncodeToString(sum[:])
	for attempt := 0; attempt < 3; attempt++ {
		u, err := s.store.FindUser(ctx, LoginKey{DeviceHash: hash})
		if err == nil {
			return s.guestAgain(ctx, caller, u, in.Secret)
		}
		if apperr.CodeOf(err) != apperr.ENOTFOUND {
			return GuestSignIn{}, err
		}
		now := s.now().UTC()
		secret, secretHash := newGuestSecret()
		u = &User{ID: ids.New(), Role: RoleGuest, DeviceHash: hash, GuestSecretHash: secretHash, Locale: lang, CreatedAt: now, UpdatedAt: now}
		err = s.store.CreateUser(ctx, u)
		if err == nil {
			tokens, err := s.issue(ctx, u, "")
			return GuestSignIn{User: u, Tokens: tokens, Secret: secret}, err
		}
		if apperr.CodeOf(err) != apperr.ECONFLICT {
			return GuestSignIn{}, err
		}
		// Another request for the same device won the race: its account
		// has a secret this caller does not know, so the next round
		// refuses it unless it sent the right one.
	}
	return GuestSignIn{}, apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Thử lại", "try again"))
}

// guestAgain signs an existing guest account in again.
func (s *Service) guestAgain(ctx context.Context, caller Principal, u *User, secret string) (GuestSignIn, error) {
	if u.Disabled || u.Erased {
		return GuestSignIn{}, ErrUnauthenticated()
	}
	if u.GuestSecretHash == "" {
		// A guest from before secrets: only its own token may claim one.
		if caller.UserID != u.ID {
			return GuestSignIn{}, errGuestSecret()
		}
		issued, secretHash := newGuestSecret()
		u.GuestSecretHash = secretHash
		u.UpdatedAt = s.now().UTC()
		if err := s.store.UpdateUser(ctx, u); err != nil {
			return GuestSignIn{}, err
		}
		tokens, err := s.issue(ctx, u, "")
		return GuestSignIn{User: u, Tokens: tokens, Secret: issued}, err
	}
	got := sha256.Sum256([]byte(secret))
	if secret == "" || subtle.ConstantTimeCompare([]byte(hex.EncodeToString(got[:])), []byte(u.GuestSecretHash)) != 1 {
		return GuestSignIn{}, errGuestSecret()
	}
	tokens, err := s.issue(ctx, u, "")
	return GuestSignIn{User: u, Tokens: tokens}, err
}

// newGuestSecret returns a random secret for a device (256 bits) and the
// hash that is stored.
func newGuestSecret() (secret, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(secret))
	return secret, hex.EncodeToString(sum[:])
}

// ClientGuest returns the guest account that stands for one device of a
// machine client (an Open311 application) when it submits reports: the
// same client and device ID give the same account back. No token or
// secret is issued, and the accounts live apart from those of
// POST /v1/auth/guest (another hash namespace), so no device ID sent there
// can reach them.
func (s *Service) ClientGuest(ctx context.Context, client, deviceID string) (*User, error) {
	sum := sha256.Sum256([]byte("camaug client device\x00" + client + "\x00" + deviceID))
	hash := hex.EncodeToString(sum[:])
	for attempt := 0; attempt < 3; attempt++ {
		u, err := s.store.FindUser(ctx, LoginKey{DeviceHash: hash})
		if err == nil {
			if u.Disabled || u.Erased {
				return nil, ErrUnauthenticated()
			}
			return u, nil
		}
		if apperr.CodeOf(err) != apperr.ENOTFOUND {
			return nil, err
		}
		now := s.now().UTC()
		u = &User{ID: ids.New(), Role: RoleGuest, DeviceHash: hash, Locale: i18n.VI, CreatedAt: now, UpdatedAt: now}
		err = s.store.CreateUser(ctx, u)
		if err == nil {
			return u, nil
		}
		if apperr.CodeOf(err) != apperr.ECONFLICT {
			return nil, err
		}
		// Another request for the same device won the race: use its account.
	}
	return nil, apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Thử lại", "try again"))
}

func errBadLogin() error {
	return apperr.New(apperr.EUNAUTHORIZED, i18n.T("Sai tên đăng nhập hoặc mật khẩu", "wrong login or password"))
}

// Login checks a login and password and issues tokens. Attempts are
// counted per (account, client address) and per address in the store (so
// every instance shares them); past a limit it returns ETOOMANY with
// RetryAfter, without even checking the password, and an address that
// keeps failing on an account waits longer each time (see beforeGuess).
func (s *Service) Login(ctx context.Context, login, password, addr string) (Tokens, error) {
	u, err := s.checkLogin(ctx, login, password, addr)
	if err != nil {
		return Tokens{}, err
	}
	return s.issue(ctx, u, "")
}

// checkLogin is the credential check of every sign-in: the brute-force
// guard, then the password (against a dummy hash when the login is
// unknown, so both take the same time). It returns the enabled account
// whose password matched, or ETOOMANY or EUNAUTHORIZED.
func (s *Service) checkLogin(ctx context.Context, login, password, addr string) (*User, error) {
	l, ok := ParseLogin(login)
	acct := l.String()
	if !ok {
		acct = "invalid"
	}
	g := guess{pair: "acct:" + acct + "|addr:" + addr, addr: "addr:" + addr, fails: "fails:acct:" + acct}
	if err := s.beforeGuess(ctx, g); err != nil {
		return nil, err
	}
	var u *User
	var err error
	if ok {
		u, err = s.store.FindUser(ctx, LoginKey{Email: l.Email, Phone: l.Phone})
		if err != nil && apperr.CodeOf(err) != apperr.ENOTFOUND {
			return nil, err
		}
	}
	hash := s.dummy
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	match, err := s.verify(ctx, hash, password)
	if err != nil {
		return nil, err
	}
	good := u != nil && match && !u.Disabled && !u.Erased && u.PasswordHash != ""
	if err := s.afterGuess(ctx, g, good); err != nil {
		return nil, err
	}
	if !good {
		return nil, errBadLogin()
	}
	return u, nil
}

// Refresh rotates a refresh token: the presented one is spent and a new one
// of the same family is returned with a new access token. Presenting a
// spent token is taken as theft: its whole family is revoked.
func (s *Service) Refresh(ctx context.Context, token string) (Tokens, error) {
	if token == "" || len(token) > 200 {
		return Tokens{}, ErrUnauthenticated()
	}
	t, err := s.store.UseRefreshToken(ctx, hashToken(token))
	switch apperr.CodeOf(err) {
	case "":
	case apperr.ENOTFOUND:
		return Tokens{}, ErrUnauthenticated()
	case apperr.ECONFLICT:
		if err := s.store.RevokeFamily(ctx, t.FamilyID); err != nil {
			return Tokens{}, err
		}
		return Tokens{}, ErrUnauthenticated()
	default:
		return Tokens{}, err
	}
	if !s.now().Before(t.ExpiresAt) {
		return Tokens{}, ErrUnauthenticated()
	}
	u, err := s.store.GetUser(ctx, t.UserID)
	if err != nil || u.Disabled || u.Erased {
		return Tokens{}, ErrUnauthenticated()
	}
	return s.issue(ctx, u, t.FamilyID)
}

// Logout revokes the refresh token's family. Unknown tokens are ignored, so
// a logout never tells whether a token existed.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > 200 {
		return nil
	}
	t, err := s.store.UseRefreshToken(ctx, hashToken(token))
	switch apperr.CodeOf(err) {
	case "", apperr.ECONFLICT:
		return s.store.RevokeFamily(ctx, t.FamilyID)
	case apperr.ENOTFOUND:
		return nil
	}
	return err
}

// Authenticate turns a bearer access token into a principal. The account
// is read on every call, so a disabled account's tokens stop working at
// once and role changes apply at once.
func (s *Service) Authenticate(ctx context.Context, raw string) (Principal, error) {
	claims, err := s.parseAccess(ctx, raw)
	if err != nil {
		return Anonymous, err
	}
	u, err := s.store.GetUser(ctx, claims.Subject)
	if apperr.CodeOf(err) == apperr.ENOTFOUND {
		return Anonymous, ErrUnauthenticated()
	}
	if err != nil {
		return Anonymous, err
	}
	if u.Disabled || u.Erased || claims.Gen < u.TokenGeneration {
		return Anonymous, ErrUnauthenticated()
	}
	return Principal{UserID: u.ID, Role: u.Role, AgencyCode: u.AgencyCode}, nil
}

// Me returns the caller's account.
func (s *Service) Me(ctx context.Context, p Principal) (*User, error) {
	if err := p.Require(PermSelf); err != nil {
		return nil, err
	}
	return s.store.GetUser(ctx, p.UserID)
}

// MeUpdate holds the fields a person may change on their own account; nil
// leaves a field alone.
type MeUpdate struct {
	Name   *string
	Locale *string
}

// CheckMeUpdate lists every rule in breaks that holds for any account,
// writing nothing (a guest may not set a name either: UpdateMe says so).
func CheckMeUpdate(in MeUpdate) []apperr.FieldError {
	var fs []apperr.FieldError
	if in.Name != nil {
		cleanName("name", *in.Name, &fs)
	}
	if in.Locale != nil {
		parseLocale(*in.Locale, &fs)
	}
	return fs
}

// CheckNewPassword lists what is wrong with a new password on its own
// (ChangePassword also refuses one equal to the account's login).
func CheckNewPassword(next string) []apperr.FieldError {
	if fe := checkPassword("new_password", next); fe != nil {
		return []apperr.FieldError{*fe}
	}
	return nil
}

// UpdateMe changes the caller's name or locale.
func (s *Service) UpdateMe(ctx context.Context, p Principal, in MeUpdate) (*User, error) {
	u, err := s.Me(ctx, p)
	if err != nil {
		return nil, err
	}
	var fs []apperr.FieldError
	if in.Name != nil {
		if u.Role == RoleGuest {
			fs = append(fs, field("name", "Khách không lưu họ tên; hãy đăng ký", "guests keep no name; register first"))
		} else {
			u.Name = cleanName("name", *in.Name, &fs)
		}
	}
	if in.Locale != nil {
		u.Locale = parseLocale(*in.Locale, &fs)
	}
	if len(fs) > 0 {
		return nil, invalid(fs...)
	}
	u.UpdatedAt = s.now().UTC()
	return u, s.store.UpdateUser(ctx, u)
}

// ChangePassword checks the current password, sets the new one and signs
// the account out everywhere (every refresh token is revoked and every
// console session ended). addr is the client's address: wrong current
// passwords are limited and slowed like failed sign-ins (see beforeGuess).
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next, addr string) error {
	u, err := s.Me(ctx, p)
	if err != nil {
		return err
	}
	if u.PasswordHash == "" {
		if u.Role == RoleGuest {
			return apperr.ConflictOf(apperr.KindState, i18n.T("Tài khoản khách không có mật khẩu; hãy đăng ký", "a guest account has no password; register first"))
		}
		// An account made or taken over through the province's provider
		// has none: its owner, signed in through the provider, sets one.
		return s.setFirstPassword(ctx, u, next)
	}
	if current == "" {
		fs := []apperr.FieldError{field("current_password", "Bắt buộc nhập mật khẩu hiện tại", "is required")}
		if fe := checkPassword("new_password", next, u.Email, u.Phone); fe != nil {
			fs = append(fs, *fe)
		}
		return invalid(fs...)
	}
	// The current password is guessed like a login, with the same guard
	// per (account, address) and per address.
	g := guess{pair: "password-change:" + u.ID + "|addr:" + addr, addr: "addr:" + addr, fails: "fails:password-change:" + u.ID}
	if err := s.beforeGuess(ctx, g); err != nil {
		return err
	}
	good, err := s.verify(ctx, u.PasswordHash, current)
	if err != nil {
		return err
	}
	if err := s.afterGuess(ctx, g, good); err != nil {
		return err
	}
	var fs []apperr.FieldError
	if !good {
		fs = append(fs, field("current_password", "Mật khẩu hiện tại không đúng", "is wrong"))
	}
	if fe := checkPassword("new_password", next, u.Email, u.Phone); fe != nil {
		fs = append(fs, *fe)
	}
	if len(fs) > 0 {
		return invalid(fs...)
	}
	if u.PasswordHash, err = s.hash(ctx, next); err != nil {
		return err
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, u.ID)
}

// signOutEverywhere revokes every refresh token of the account and ends
// every console session.
func (s *Service) signOutEverywhere(ctx context.Context, userID string) error {
	if err := s.store.RevokeUserTokens(ctx, userID); err != nil {
		return err
	}
	return s.store.DeleteUserSessions(ctx, userID)
}

// DeleteMe erases the caller's personal data (name, phone, email, device,
// password) and disables the account. The account row stays, anonymous, so
// what the person reported stays too, owned by no one identifiable.
func (s *Service) DeleteMe(ctx context.Context, p Principal) error {
	u, err := s.Me(ctx, p)
	if err != nil {
		return err
	}
	if err := s.keepAnAdmin(ctx, u, false); err != nil {
		return err
	}
	u.Name, u.Email, u.Phone, u.DeviceHash, u.PasswordHash, u.GuestSecretHash = "", "", "", "", "", ""
	u.Disabled, u.Erased = true, true
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, u.ID)
}

// keepAnAdmin refuses a change that would leave no enabled admin.
func (s *Service) keepAnAdmin(ctx context.Context, u *User, stillAdmin bool) error {
	if u.Role != RoleAdmin || u.Disabled || stillAdmin {
		return nil
	}
	n, err := s.store.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return apperr.ConflictOf(apperr.KindState, i18n.T("Không thể vô hiệu hóa quản trị viên cuối cùng", "this is the last active admin"))
	}
	return nil
}

// StaffInput is a staff account to create.
type StaffInput struct {
	Role       Role
	Email      string
	Phone      string
	Name       string
	Password   string
	AgencyCode string
}

// CreateStaff creates a staff account. Admins create any staff role; an
// agency admin creates officers of its own agency only.
func (s *Service) CreateStaff(ctx context.Context, p Principal, in StaffInput) (*User, error) {
	if err := s.requireManager(p); err != nil {
		return nil, err
	}
	if !p.Can(PermUsersManage) {
		if in.AgencyCode == "" {
			in.AgencyCode = p.AgencyCode
		}
		if in.Role != RoleOfficer || in.AgencyCode != p.AgencyCode {
			return nil, ErrForbidden()
		}
	}
	u, fs := s.newStaff(ctx, in)
	if len(fs) > 0 {
		return nil, invalid(fs...)
	}
	var err error
	if u.PasswordHash, err = s.hash(ctx, in.Password); err != nil {
		return nil, err
	}
	u.ID = ids.New()
	u.CreatedAt = s.now().UTC()
	u.UpdatedAt = u.CreatedAt
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, s.loginTaken(err)
	}
	return u, nil
}

// CheckStaff lists every rule in breaks, writing nothing: what
// CreateStaff would refuse it for, permissions aside.
func (s *Service) CheckStaff(ctx context.Context, in StaffInput) []apperr.FieldError {
	_, fs := s.newStaff(ctx, in)
	return fs
}

// newStaff is the staff account in describes, and every rule in breaks.
func (s *Service) newStaff(ctx context.Context, in StaffInput) (*User, []apperr.FieldError) {
	var fs []apperr.FieldError
	u := &User{Role: in.Role, AgencyCode: in.AgencyCode, Locale: i18n.VI}
	if !in.Role.IsStaff() {
		fs = append(fs, field("role", "Vai trò phải là officer, agency_admin, coordinator, analyst hoặc admin",
			"must be officer, agency_admin, coordinator, analyst or admin"))
	}
	var ok bool
	if u.Email, ok = NormalizeEmail(in.Email); !ok {
		fs = append(fs, field("email", "Email không hợp lệ", "is not a valid email address"))
	}
	if in.Phone != "" {
		if u.Phone, ok = NormalizePhone(in.Phone); !ok {
			fs = append(fs, field("phone", "Số di động Việt Nam không hợp lệ", "is not a valid Vietnamese mobile number"))
		}
	}
	u.Name = cleanName("name", in.Name, &fs)
	if fe := checkPassword("password", in.Password, u.Email, u.Phone, in.Email); fe != nil {
		fs = append(fs, *fe)
	}
	fs = append(fs, s.checkAgency(ctx, in.Role, in.AgencyCode)...)
	return u, fs
}

func (s *Service) checkAgency(ctx context.Context, role Role, code string) []apperr.FieldError {
	switch {
	case role.HasAgency() && code == "":
		return []apperr.FieldError{field("agency_code", "Cán bộ phải thuộc một cơ quan", "is required for this role")}
	case !role.HasAgency() && code != "":
		return []apperr.FieldError{field("agency_code", "Vai trò này không thuộc cơ quan nào", "must be empty for this role")}
	case code != "":
		if err := s.cfg.AgencyExists(ctx, code); err != nil {
			return []apperr.FieldError{field("agency_code", "Cơ quan không tồn tại", "no agency has this code")}
		}
	}
	return nil
}

func (s *Service) requireManager(p Principal) error {
	if p.IsAnonymous() {
		return ErrUnauthenticated()
	}
	if !p.Can(PermUsersManage) && !p.Can(PermOfficersManage) {
		return ErrForbidden()
	}
	return nil
}

// canManage reports whether p may see and change u: admins every account,
// agency admins the officers of their own agency.
func canManage(p Principal, u *User) bool {
	if p.Can(PermUsersManage) {
		return true
	}
	return p.Can(PermOfficersManage) && u.Role == RoleOfficer && u.AgencyCode == p.AgencyCode && p.AgencyCode != ""
}

// ListUsers lists the accounts p manages: every account for an admin (with
// optional role and agency filters), the officers of its own agency for an
// agency admin. Pages follow account creation order.
func (s *Service) ListUsers(ctx context.Context, p Principal, f UserFilter) ([]User, error) {
	if err := s.requireManager(p); err != nil {
		return nil, err
	}
	if !p.Can(PermUsersManage) {
		f.Role, f.AgencyCode = RoleOfficer, p.AgencyCode
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.store.ListUsers(ctx, f)
}

// StaffUpdate holds an admin's changes to an account; nil leaves a field
// alone.
type StaffUpdate struct {
	Role       *Role
	AgencyCode *string
	Disabled   *bool
	Name       *string
}

// CheckStaffUpdate lists what is wrong with in on its own, writing
// nothing: a blank or too long name, an unknown agency. (UpdateStaff also
// checks the change against the account.)
func (s *Service) CheckStaffUpdate(ctx context.Context, in StaffUpdate) []apperr.FieldError {
	var fs []apperr.FieldError
	if in.Name != nil {
		cleanName("name", *in.Name, &fs)
	}
	if in.AgencyCode != nil && *in.AgencyCode != "" {
		if err := s.cfg.AgencyExists(ctx, *in.AgencyCode); err != nil {
			fs = append(fs, field("agency_code", "Cơ quan không tồn tại", "no agency has this code"))
		}
	}
	return fs
}

// UpdateStaff changes an account's role, agency, name or disabled flag.
// Agency admins may only enable, disable or rename their own officers.
// Disabling revokes every refresh token and ends every console session,
// and Authenticate refuses the account's access tokens at once. Accounts p may not manage are reported
// as not found.
func (s *Service) UpdateStaff(ctx context.Context, p Principal, id string, in StaffUpdate) (*User, error) {
	if err := s.requireManager(p); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, id)
	if err != nil || !canManage(p, u) || u.Erased {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy tài khoản", "account not found"))
	}
	if !p.Can(PermUsersManage) && (in.Role != nil || in.AgencyCode != nil) {
		return nil, ErrForbidden()
	}
	wasDisabled := u.Disabled
	var fs []apperr.FieldError
	if in.Role != nil {
		if !in.Role.IsStaff() || !u.Role.IsStaff() {
			fs = append(fs, field("role", "Chỉ đổi giữa các vai trò cán bộ", "only staff roles can be given, to staff accounts"))
		}
		u.Role = *in.Role
		if !u.Role.HasAgency() && in.AgencyCode == nil {
			u.AgencyCode = ""
		}
	}
	if in.AgencyCode != nil {
		u.AgencyCode = *in.AgencyCode
	}
	if in.Role != nil || in.AgencyCode != nil {
		fs = append(fs, s.checkAgency(ctx, u.Role, u.AgencyCode)...)
	}
	if in.Name != nil {
		u.Name = cleanName("name", *in.Name, &fs)
	}
	if in.Disabled != nil {
		u.Disabled = *in.Disabled
	}
	if len(fs) > 0 {
		return nil, invalid(fs...)
	}
	if prev, err := s.store.GetUser(ctx, id); err == nil {
		if err := s.keepAnAdmin(ctx, prev, u.Role == RoleAdmin && !u.Disabled); err != nil {
			return nil, err
		}
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, err
	}
	if u.Disabled && !wasDisabled {
		if err := s.signOutEverywhere(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// ResetPassword gives a staff account a new, random temporary password and
// returns it (the only time it is seen); every refresh token of the account
// is revoked and every console session ended. Admins reset any staff
// account, agency admins the officers of their own agency. Accounts p may
// not manage are reported as not found; citizens and guests get
// EFORBIDDEN (they change their own password).
func (s *Service) ResetPassword(ctx context.Context, p Principal, userID string) (string, error) {
	if err := s.requireManager(p); err != nil {
		return "", err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil || !canManage(p, u) || u.Erased {
		return "", apperr.NotFound(i18n.T("Không tìm thấy tài khoản", "account not found"))
	}
	if !u.Role.IsStaff() {
		return "", apperr.New(apperr.EFORBIDDEN, i18n.T("Chỉ đặt lại mật khẩu cho tài khoản cán bộ", "only staff accounts' passwords can be reset"))
	}
	password := temporaryPassword()
	if u.PasswordHash, err = s.hash(ctx, password); err != nil {
		return "", err
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return "", err
	}
	if err := s.signOutEverywhere(ctx, u.ID); err != nil {
		return "", err
	}
	return password, nil
}

// system is the principal of operator commands and start-up bootstrap.
var system = Principal{UserID: "system", Role: RoleAdmin}

// AddStaff creates a staff account on behalf of an operator (camaug user add).
func (s *Service) AddStaff(ctx context.Context, in StaffInput) (*User, error) {
	return s.CreateStaff(ctx, system, in)
}

// EnsureAdmin creates an admin with email and password when no enabled
// admin exists, and never touches an existing one. It reports whether it
// created the account.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (bool, error) {
	n, err := s.store.CountActiveAdmins(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, err = s.AddStaff(ctx, StaffInput{Role: RoleAdmin, Email: email, Name: "Administrator", Password: password})
	return err == nil, err
}

// EncodeCursor makes an opaque page cursor from the last ID of a page.
func EncodeCursor(lastID string) string {
	if lastID == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(lastID))
}

// DecodeCursor reads a cursor made by EncodeCursor.
func DecodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !ids.Valid(string(b)) {
		return "", invalid(field("cursor", "Con trỏ trang không hợp lệ", "is not a valid cursor"))
	}
	return string(b), nil
}
