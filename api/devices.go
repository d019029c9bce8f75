package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/i18n"
	"camaug/internal/identity"
)

type deviceIn struct {
	Platform  string `json:"platform"`
	PushToken string `json:"push_token"`
	// Locale is the language of the notifications; Accept-Language's
	// when absent.
	Locale string `json:"locale" validate:"omitempty,oneof=vi en"`
}

// deviceOut never echoes the push token: it stays on the phone and in the
// store, and the app names the device by its ID.
type deviceOut struct {
	ID        string    `json:"id"`
	Platform  string    `json:"platform"`
	Locale    string    `json:"locale"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// registerDevice is POST /v1/me/devices: 201 when the token is new to the
// account, 200 when it only refreshed an existing registration.
func registerDevice(devices *identity.Devices) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if devices == nil {
			return fiber.ErrServiceUnavailable
		}
		var in deviceIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		locale := langOf(c)
		if in.Locale != "" {
			locale = i18n.Lang(in.Locale)
		}
		d, isNew, err := devices.Register(c.UserContext(), principal(c), in.Platform, in.PushToken, locale)
		if err != nil {
			return err
		}
		if isNew {
			c.Status(fiber.StatusCreated)
		}
		return c.JSON(deviceOut{ID: d.ID, Platform: d.Platform, Locale: string(d.Locale), CreatedAt: local(d.CreatedAt), UpdatedAt: local(d.UpdatedAt)})
	}
}

// unregisterDevice is DELETE /v1/me/devices/{id or push token}.
func unregisterDevice(devices *identity.Devices) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if devices == nil {
			return fiber.ErrServiceUnavailable
		}
		if err := devices.Unregister(c.UserContext(), principal(c), string([]byte(c.Params("key")))); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// forgetDevices runs before DELETE /v1/me: once the account is erased, its
// phones stop hearing about its reports.
func forgetDevices(devices *identity.Devices) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principal(c)
		if devices == nil {
			return c.Next()
		}
		if err := c.Next(); err != nil || c.Response().StatusCode() != fiber.StatusNoContent {
			return err
		}
		return devices.Store.DeleteUserDevices(c.UserContext(), p.UserID)
	}
}
