package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/identity"
)

// The admin's reference data endpoints speak the reference file format:
// the bodies are feedback.Category, Agency, Area and Calendar as they are.

// saveFunc is a ReferenceService method that creates or replaces one entity.
type saveFunc[T feedback.Entity] func(ctx context.Context, p identity.Principal, v T, create bool) error

func adminList[T any](load func(c *fiber.Ctx) ([]T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		items, err := load(c)
		if err != nil {
			return err
		}
		if items == nil {
			items = []T{}
		}
		return c.JSON(list[T]{Items: items})
	}
}

// adminCreate answers POST base: 201 with the entity and its Location.
func adminCreate[T feedback.Entity](base string, save saveFunc[T]) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in T
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		if err := save(c.UserContext(), principal(c), in, true); err != nil {
			return err
		}
		c.Location(base + "/" + in.RefKey())
		c.Status(fiber.StatusCreated)
		return c.JSON(in)
	}
}

// adminReplace answers PUT base/:code; the body's code must be the path's.
func adminReplace[T feedback.Entity](save saveFunc[T]) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in T
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		if in.RefKey() != string([]byte(c.Params("code"))) {
			return alsoInvalid(invalidQuery("code", "Mã trong nội dung phải trùng mã trên đường dẫn", "must equal the code in the path"),
				fieldsOf(in.Validate()))
		}
		if err := save(c.UserContext(), principal(c), in, false); err != nil {
			return err
		}
		return c.JSON(in)
	}
}

func getCalendar(ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cal, err := ref.Calendar(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(cal)
	}
}

func putCalendar(ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in feedback.Calendar
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		if err := ref.SetCalendar(c.UserContext(), principal(c), in); err != nil {
			return err
		}
		return c.JSON(in)
	}
}

type auditEntryOut struct {
	ID        string          `json:"id"`
	At        time.Time       `json:"at"`
	ActorID   string          `json:"actor_id"`
	ActorRole string          `json:"actor_role"`
	Kind      string          `json:"kind"`
	Code      string          `json:"code,omitempty"`
	Action    string          `json:"action"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

type auditPage struct {
	Items      []auditEntryOut `json:"items"`
	NextCursor *string         `json:"next_cursor"`
}

func auditLog(ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		cursor, limit := q.String("cursor", 200), q.Int("limit", 50, 1, 200)
		if err := q.Err(); err != nil {
			return err
		}
		entries, next, err := ref.AuditLog(c.UserContext(), principal(c), cursor, limit)
		if err != nil {
			return err
		}
		out := auditPage{Items: make([]auditEntryOut, 0, len(entries))}
		for _, e := range entries {
			out.Items = append(out.Items, auditEntryOut{ID: e.ID, At: local(e.At), ActorID: e.ActorID, ActorRole: string(e.ActorRole),
				Kind: e.Kind, Code: e.Code, Action: e.Action, Before: e.Before, After: e.After})
		}
		if next != "" {
			out.NextCursor = &next
		}
		return c.JSON(out)
	}
}
