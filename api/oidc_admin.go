package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/identity"
	"camaug/internal/ids"
)

// The admin's mapping of the province provider's groups to staff roles
// (issue 19), and the acr values that count as a verified identity.

// routeFunc registers one route (registerRoutes' r).
type routeFunc func(method, path string, h ...fiber.Handler)

// oidcAdminRoutes lists the admin's OIDC mapping routes: admins only.
func oidcAdminRoutes(r routeFunc, id *identity.Service) {
	admin := require(identity.PermUsersManage)
	r(fiber.MethodGet, "/v1/admin/oidc/group-mappings", admin, listGroupMappings(id))
	r(fiber.MethodPost, "/v1/admin/oidc/group-mappings", admin, createGroupMapping(id))
	r(fiber.MethodGet, "/v1/admin/oidc/group-mappings/:id", admin, getGroupMapping(id))
	r(fiber.MethodPut, "/v1/admin/oidc/group-mappings/:id", admin, replaceGroupMapping(id))
	r(fiber.MethodDelete, "/v1/admin/oidc/group-mappings/:id", admin, deleteGroupMapping(id))
	r(fiber.MethodGet, "/v1/admin/oidc/verified-acr-values", admin, getVerifiedACRs(id))
	r(fiber.MethodPut, "/v1/admin/oidc/verified-acr-values", admin, putVerifiedACRs(id))
}

type groupMappingIn struct {
	Group      string `json:"group" validate:"required,max=200"`
	Role       string `json:"role" validate:"required,oneof=officer agency_admin coordinator analyst admin"`
	AgencyCode string `json:"agency_code" validate:"max=64"`
}

func (in groupMappingIn) input() identity.GroupMappingInput {
	return identity.GroupMappingInput{Group: in.Group, Role: identity.Role(in.Role), AgencyCode: in.AgencyCode}
}

type groupMappingOut struct {
	ID         string    `json:"id"`
	Group      string    `json:"group"`
	Role       string    `json:"role"`
	AgencyCode string    `json:"agency_code"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toGroupMapping(m identity.GroupMapping) groupMappingOut {
	return groupMappingOut{ID: m.ID, Group: m.Group, Role: string(m.Role), AgencyCode: m.AgencyCode,
		CreatedAt: local(m.CreatedAt), UpdatedAt: local(m.UpdatedAt)}
}

func mappingID(c *fiber.Ctx) (string, error) {
	id := c.Params("id")
	if !ids.Valid(id) {
		return "", invalidQuery("id", "Mã ánh xạ không hợp lệ", "is not a group mapping id")
	}
	return string([]byte(id)), nil
}

func listGroupMappings(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ms, err := svc.GroupMappings(c.UserContext(), principal(c))
		if err != nil {
			return err
		}
		items := make([]groupMappingOut, 0, len(ms))
		for _, m := range ms {
			items = append(items, toGroupMapping(m))
		}
		return c.JSON(list[groupMappingOut]{Items: items})
	}
}

func createGroupMapping(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in groupMappingIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		m, err := svc.CreateGroupMapping(c.UserContext(), principal(c), in.input())
		if err != nil {
			return err
		}
		c.Location("/v1/admin/oidc/group-mappings/" + m.ID)
		return c.Status(fiber.StatusCreated).JSON(toGroupMapping(m))
	}
}

func getGroupMapping(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := mappingID(c)
		if err != nil {
			return err
		}
		m, err := svc.GroupMapping(c.UserContext(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(toGroupMapping(m))
	}
}

func replaceGroupMapping(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := mappingID(c)
		if err != nil {
			return err
		}
		var in groupMappingIn
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		m, err := svc.UpdateGroupMapping(c.UserContext(), principal(c), id, in.input())
		if err != nil {
			return err
		}
		return c.JSON(toGroupMapping(m))
	}
}

func deleteGroupMapping(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := mappingID(c)
		if err != nil {
			return err
		}
		if err := svc.DeleteGroupMapping(c.UserContext(), principal(c), id); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

type verifiedACRsBody struct {
	ACRValues []string `json:"acr_values" validate:"required,max=20,dive,required,max=200"`
}

func getVerifiedACRs(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := svc.VerifiedACRs(c.UserContext(), principal(c))
		if err != nil {
			return err
		}
		return c.JSON(verifiedACRsBody{ACRValues: v})
	}
}

func putVerifiedACRs(svc *identity.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in verifiedACRsBody
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		v, err := svc.SetVerifiedACRs(c.UserContext(), principal(c), in.ACRValues)
		if err != nil {
			return err
		}
		return c.JSON(verifiedACRsBody{ACRValues: v})
	}
}
