package identity

import (
	"context"
	"regexp"
	"time"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// Device is a phone registered for push notifications: its provider token
// and the account it belongs to. A token belongs to one account at a time,
// the last one that registered it (a shared or resold phone).
type Device struct {
	ID        string
	UserID    string
	Platform  string // "android" or "ios"
	Token     string // the push provider's registration token
	Locale    i18n.Lang
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DeviceStore keeps push devices.
type DeviceStore interface {
	// PutDevice registers d.Token for d.UserID: a known token keeps its ID
	// and CreatedAt and takes d's account, platform, locale and UpdatedAt;
	// an unknown one is stored as d. Then the account keeps only its max
	// most recently updated devices. It returns the stored device and
	// whether the token was new to this account.
	PutDevice(ctx context.Context, d Device, max int) (Device, bool, error)
	// UserDevices returns an account's devices, most recently updated first.
	UserDevices(ctx context.Context, userID string) ([]Device, error)
	// DeleteDevice removes the account's device whose ID or token is key.
	// Returns ENOTFOUND if the account has no such device.
	DeleteDevice(ctx context.Context, userID, key string) error
	// DropDeviceToken removes the device with the token, whoever holds it
	// (the provider said the token is dead); a missing one is no error.
	DropDeviceToken(ctx context.Context, token string) error
	// DeleteUserDevices removes every device of an account.
	DeleteUserDevices(ctx context.Context, userID string) error
}

// Platforms a device may register as.
const (
	PlatformAndroid = "android"
	PlatformIOS     = "ios"
)

// MaxDevicesPerAccount caps an account's devices: registering one more
// forgets the least recently registered, so a citizen who changes phones
// never has to unregister the old one.
const MaxDevicesPerAccount = 10

// pushToken is what FCM and APNs tokens look like: printable ASCII, no
// spaces, at most 4096 characters (FCM's are about 160, APNs' 64 hex).
var pushToken = regexp.MustCompile(`^[\x21-\x7e]+$`)

// Devices registers and forgets the push devices of the calling account.
type Devices struct {
	Store DeviceStore
	Now   func() time.Time
}

// Register stores the caller's device and reports whether it is new to
// the account. Registering the same token again only refreshes it.
// Returns EINVALID naming each bad field.
func (d *Devices) Register(ctx context.Context, p Principal, platform, token string, locale i18n.Lang) (Device, bool, error) {
	if p.IsAnonymous() {
		return Device{}, false, ErrUnauthenticated()
	}
	var bad []apperr.FieldError
	if platform != PlatformAndroid && platform != PlatformIOS {
		bad = append(bad, apperr.FieldError{Field: "platform", Message: i18n.T("Phải là android hoặc ios", "must be android or ios")})
	}
	if len(token) < 16 || len(token) > 4096 || !pushToken.MatchString(token) {
		bad = append(bad, apperr.FieldError{Field: "push_token", Message: i18n.T("Mã thiết bị gồm 16–4096 ký tự ASCII in được, không có khoảng trắng",
			"must be 16 to 4096 printable ASCII characters, no spaces")})
	}
	if len(bad) > 0 {
		return Device{}, false, apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), bad...)
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	t := now().UTC()
	return d.Store.PutDevice(ctx, Device{ID: ids.New(), UserID: p.UserID, Platform: platform, Token: token, Locale: locale,
		CreatedAt: t, UpdatedAt: t}, MaxDevicesPerAccount)
}

// Unregister forgets the caller's device named by its ID or token.
// Returns ENOTFOUND if the caller has no such device.
func (d *Devices) Unregister(ctx context.Context, p Principal, key string) error {
	if p.IsAnonymous() {
		return ErrUnauthenticated()
	}
	err := d.Store.DeleteDevice(ctx, p.UserID, key)
	if apperr.CodeOf(err) == apperr.ENOTFOUND {
		return apperr.NotFound(i18n.T("Không tìm thấy thiết bị", "device not found"))
	}
	return err
}
