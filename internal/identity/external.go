package identity

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// Link ties an account to an identity at an external OpenID provider: the
// pair (Issuer, Subject) is unique across accounts.
type Link struct {
	ID        string
	UserID    string
	Issuer    string
	Subject   string
	CreatedAt time.Time
}

// AccountEvent is one entry of an account's history of sign-in identities
// (links, unlinks, take-overs). Kind is one of the Event* constants.
type AccountEvent struct {
	ID     string
	UserID string
	Kind   string
	At     time.Time
	// Issuer of the identity concerned (never the subject's personal data).
	Issuer string
}

// The kinds of account event.
const (
	EventLinked   = "identity_linked"   // an external identity was linked
	EventCreated  = "identity_created"  // the account was created from an external identity
	EventTakeover = "identity_takeover" // a provider-verified phone took the account over
	EventUnlinked = "identity_unlinked" // the person unlinked an identity
)

// LinkStore keeps external identity links, the replay memory of exchanged
// tokens, and the accounts' identity history.
type LinkStore interface {
	// AddLink stores l. Returns ECONFLICT if (Issuer, Subject) is already linked.
	AddLink(ctx context.Context, l Link) error
	// FindLink returns the link of (issuer, subject), or ENOTFOUND.
	FindLink(ctx context.Context, issuer, subject string) (Link, error)
	// ListLinks returns a user's links, oldest first.
	ListLinks(ctx context.Context, userID string) ([]Link, error)
	// DeleteLink removes the user's link id. Returns ENOTFOUND if the user
	// has no such link.
	DeleteLink(ctx context.Context, userID, id string) error
	// RememberToken records that the token with key was used, until
	// expiresAt. Returns ECONFLICT, atomically across instances, if the key
	// is remembered and its expiry is after now; an expired memory is
	// replaced.
	RememberToken(ctx context.Context, key string, now, expiresAt time.Time) error
	// ForgetTokensBefore removes the memories that expired before t and
	// returns how many it removed.
	ForgetTokensBefore(ctx context.Context, t time.Time) (int, error)
	// AddAccountEvent appends an event to the account's history.
	AddAccountEvent(ctx context.Context, e AccountEvent) error
	// ListAccountEvents returns the account's newest events first, at most limit.
	ListAccountEvents(ctx context.Context, userID string, limit int) ([]AccountEvent, error)
}

// External is an identity an OpenID provider vouched for, already verified
// (signature, issuer, audience, expiry, nonce) by the caller.
type External struct {
	Issuer        string
	Subject       string
	Phone         string // as the provider gave it
	PhoneVerified bool   // the provider says it verified Phone
	Name          string
	// ReplayKey names the token (its jti or hash), remembered until Expiry
	// so it is exchanged only once.
	ReplayKey string
	Expiry    time.Time
}

// Sentinels carried as the cause of the errors below, so the API can give
// each its own problem type.
var (
	// ErrTokenReplayed: the external token was exchanged before.
	ErrTokenReplayed = errors.New("identity: external token already exchanged")
	// ErrLinkRefused: the verified phone belongs to an account that may not
	// be signed in to from the app (staff, disabled or erased).
	ErrLinkRefused = errors.New("identity: the account cannot be linked")
	// ErrLastSignIn: unlinking would leave the account no way to sign in.
	ErrLastSignIn = errors.New("identity: the last way to sign in")
)

func errReplayed() error {
	return &apperr.Error{Code: apperr.EUNAUTHORIZED, Err: ErrTokenReplayed, Message: i18n.T(
		"Token của nhà cung cấp định danh đã được dùng; hãy đăng nhập lại ở nhà cung cấp",
		"the provider's token was already used; sign in at the provider again")}
}

// ExchangeResult is what SignInExternal did.
type ExchangeResult struct {
	User   *User
	Tokens Tokens
	// Created: a new account was made. Linked: an existing account was
	// linked now. TakenOver: that account's password and sessions were
	// removed (see SignInExternal).
	Created, Linked, TakenOver bool
}

// SignInExternal exchanges a verified external identity for our tokens.
//
//   - The token is exchanged once: a second exchange of the same ReplayKey
//     before its expiry is EUNAUTHORIZED (ErrTokenReplayed).
//   - A linked (Issuer, Subject) signs in to its account.
//   - Otherwise, when the provider says the phone is verified and it is a
//     citizen account's phone, that account is linked. If we never verified
//     that account's phone (our registration never does), whoever created
//     it is not known to own the phone: the person the province proved
//     takes it over (ISSUE-NOTES §19, account pre-hijacking): its password
//     and email (the creator's, unverified) are removed, the provider's name
//     replaces the creator's, every refresh token revoked, every console
//     session ended,
//     access tokens issued before stop working at once, and the take-over
//     is in the account's history. A staff, disabled or erased account is
//     never linked from here: ECONFLICT (ErrLinkRefused).
//   - Else a new citizen account is made, with the phone only when verified
//     (an unverified phone claim is never stored, so it can neither take
//     over nor block anyone's account).
func (s *Service) SignInExternal(ctx context.Context, ext External) (ExchangeResult, error) {
	if ext.Issuer == "" || ext.Subject == "" || ext.ReplayKey == "" {
		return ExchangeResult{}, ErrUnauthenticated()
	}
	now := s.now().UTC()
	if !ext.Expiry.After(now) {
		return ExchangeResult{}, ErrUnauthenticated()
	}
	if err := s.store.RememberToken(ctx, ext.ReplayKey, now, ext.Expiry); err != nil {
		if apperr.CodeOf(err) == apperr.ECONFLICT {
			return ExchangeResult{}, errReplayed()
		}
		return ExchangeResult{}, err
	}
	res, err := s.signInExternal(ctx, ext, now)
	if err != nil {
		return ExchangeResult{}, err
	}
	if res.Tokens, err = s.issue(ctx, res.User, ""); err != nil {
		return ExchangeResult{}, err
	}
	return res, nil
}

func (s *Service) signInExternal(ctx context.Context, ext External, now time.Time) (ExchangeResult, error) {
	link, err := s.store.FindLink(ctx, ext.Issuer, ext.Subject)
	switch apperr.CodeOf(err) {
	case "":
		u, err := s.store.GetUser(ctx, link.UserID)
		if err != nil {
			return ExchangeResult{}, err
		}
		if u.Disabled || u.Erased {
			return ExchangeResult{}, ErrUnauthenticated()
		}
		return ExchangeResult{User: u}, nil
	case apperr.ENOTFOUND:
	default:
		return ExchangeResult{}, err
	}

	phone, phoneOK := "", false
	if ext.PhoneVerified {
		phone, phoneOK = NormalizePhone(ext.Phone)
	}
	if phoneOK {
		u, err := s.store.FindUser(ctx, LoginKey{Phone: phone})
		switch apperr.CodeOf(err) {
		case "":
			return s.linkExisting(ctx, u, ext, now)
		case apperr.ENOTFOUND:
		default:
			return ExchangeResult{}, err
		}
	}

	u := &User{ID: ids.New(), Role: RoleCitizen, Locale: i18n.VI, CreatedAt: now, UpdatedAt: now}
	if phoneOK {
		u.Phone, u.PhoneVerified = phone, true
	}
	if name := externalName(ext.Name); name != "" {
		u.Name = name
	}
	// The link first: it claims the subject, so two exchanges racing for a
	// new subject make one account, not two.
	l := Link{ID: ids.New(), UserID: u.ID, Issuer: ext.Issuer, Subject: ext.Subject, CreatedAt: now}
	if err := s.store.AddLink(ctx, l); err != nil {
		if apperr.CodeOf(err) == apperr.ECONFLICT {
			return ExchangeResult{}, apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Tài khoản đang được tạo bởi một yêu cầu khác; hãy thử lại",
				"the account is being created by another request; try again"))
		}
		return ExchangeResult{}, err
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		_ = s.store.DeleteLink(context.WithoutCancel(ctx), u.ID, l.ID)
		return ExchangeResult{}, s.loginTaken(err)
	}
	if err := s.event(ctx, u.ID, EventCreated, ext.Issuer, now); err != nil {
		return ExchangeResult{}, err
	}
	return ExchangeResult{User: u, Created: true}, nil
}

// linkExisting links the account whose phone the provider verified.
func (s *Service) linkExisting(ctx context.Context, u *User, ext External, now time.Time) (ExchangeResult, error) {
	if u.Role != RoleCitizen || u.Disabled || u.Erased {
		return ExchangeResult{}, &apperr.Error{Code: apperr.ECONFLICT, Err: ErrLinkRefused, Message: i18n.T(
			"Số điện thoại này thuộc một tài khoản không thể liên kết từ ứng dụng; hãy đăng nhập bằng mật khẩu hoặc liên hệ quản trị",
			"this phone number belongs to an account that cannot be linked from the app; sign in with its password or ask an administrator")}
	}
	l := Link{ID: ids.New(), UserID: u.ID, Issuer: ext.Issuer, Subject: ext.Subject, CreatedAt: now}
	if err := s.store.AddLink(ctx, l); err != nil {
		if apperr.CodeOf(err) == apperr.ECONFLICT {
			return ExchangeResult{}, apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Tài khoản đang được liên kết bởi một yêu cầu khác; hãy thử lại",
				"the account is being linked by another request; try again"))
		}
		return ExchangeResult{}, err
	}
	res := ExchangeResult{User: u, Linked: true}
	kind := EventLinked
	if !u.PhoneVerified {
		// Take-over: nobody proved this phone to us before; the province
		// just did. The creator's password and sessions go: signed out
		// before the password is removed and again after, so a sign-in
		// with the old password in between leaves nothing behind.
		if err := s.signOutEverywhere(ctx, u.ID); err != nil {
			_ = s.store.DeleteLink(context.WithoutCancel(ctx), u.ID, l.ID)
			return ExchangeResult{}, err
		}
		u.PasswordHash = ""
		u.PhoneVerified = true
		// The email and name were the creator's word, not the province's.
		u.Email = ""
		if name := externalName(ext.Name); name != "" {
			u.Name = name
		}
		u.TokenGeneration++
		u.UpdatedAt = now
		if err := s.store.UpdateUser(ctx, u); err != nil {
			_ = s.store.DeleteLink(context.WithoutCancel(ctx), u.ID, l.ID)
			return ExchangeResult{}, err
		}
		if err := s.signOutEverywhere(ctx, u.ID); err != nil {
			return ExchangeResult{}, err
		}
		res.TakenOver, kind = true, EventTakeover
	}
	if err := s.event(ctx, u.ID, kind, ext.Issuer, now); err != nil {
		return ExchangeResult{}, err
	}
	return res, nil
}

func (s *Service) event(ctx context.Context, userID, kind, issuer string, at time.Time) error {
	return s.store.AddAccountEvent(ctx, AccountEvent{ID: ids.New(), UserID: userID, Kind: kind, At: at, Issuer: issuer})
}

// externalName keeps a provider's name when it fits our rules, else none.
func externalName(name string) string {
	var fs []apperr.FieldError
	n := cleanName("name", name, &fs)
	if len(fs) > 0 || utf8.RuneCountInString(n) == 0 {
		return ""
	}
	return n
}

// Identities is the caller's linked identities and their history.
type Identities struct {
	Links   []Link
	History []AccountEvent
}

// MyIdentities lists the caller's links and the last 50 events of their
// history.
func (s *Service) MyIdentities(ctx context.Context, p Principal) (Identities, error) {
	u, err := s.Me(ctx, p)
	if err != nil {
		return Identities{}, err
	}
	links, err := s.store.ListLinks(ctx, u.ID)
	if err != nil {
		return Identities{}, err
	}
	events, err := s.store.ListAccountEvents(ctx, u.ID, 50)
	if err != nil {
		return Identities{}, err
	}
	return Identities{Links: links, History: events}, nil
}

// Unlink removes one of the caller's links, only while the account keeps a
// way to sign in: a password, or another link. Else ECONFLICT
// (ErrLastSignIn). ENOTFOUND for a link that is not the caller's.
func (s *Service) Unlink(ctx context.Context, p Principal, linkID string) error {
	u, err := s.Me(ctx, p)
	if err != nil {
		return err
	}
	links, err := s.store.ListLinks(ctx, u.ID)
	if err != nil {
		return err
	}
	var target *Link
	for i := range links {
		if links[i].ID == linkID {
			target = &links[i]
		}
	}
	if target == nil {
		return apperr.NotFound(i18n.T("Không tìm thấy liên kết", "identity link not found"))
	}
	if u.PasswordHash == "" && len(links) < 2 {
		return &apperr.Error{Code: apperr.ECONFLICT, Err: ErrLastSignIn, Message: i18n.T(
			"Đây là cách đăng nhập duy nhất của tài khoản; hãy đặt mật khẩu trước khi hủy liên kết",
			"this is the account's only way to sign in; set a password before unlinking it")}
	}
	if err := s.store.DeleteLink(ctx, u.ID, linkID); err != nil {
		return err
	}
	return s.event(ctx, u.ID, EventUnlinked, target.Issuer, s.now().UTC())
}

// ForgetExchangedTokens removes the replay memories that have expired.
func (s *Service) ForgetExchangedTokens(ctx context.Context) (int, error) {
	return s.store.ForgetTokensBefore(ctx, s.now().UTC())
}

// setFirstPassword gives a password to an account that has none (made or
// taken over through a provider). Nothing to sign out: nobody else held it.
func (s *Service) setFirstPassword(ctx context.Context, u *User, next string) error {
	if fe := checkPassword("new_password", next, u.Email, u.Phone); fe != nil {
		return invalid(*fe)
	}
	var err error
	if u.PasswordHash, err = s.hash(ctx, next); err != nil {
		return err
	}
	u.UpdatedAt = s.now().UTC()
	return s.store.UpdateUser(ctx, u)
}
