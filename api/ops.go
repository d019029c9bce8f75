package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	apidocs "camaug/mobile-api-docs"
)

type status struct {
	Status string `json:"status"`
}

// healthz answers as long as the process serves HTTP.
func healthz(c *fiber.Ctx) error { return c.JSON(status{"ok"}) }

// readyz answers 200 when the store does, 503 otherwise, so a load balancer
// stops sending traffic to an instance that cannot serve it.
func readyz(ready func(context.Context) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			return err
		}
		return c.JSON(status{"ready"})
	}
}

func openapiDoc(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/yaml")
	return c.Send(apidocs.OpenAPI)
}
