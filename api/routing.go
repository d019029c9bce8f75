package api

import (
	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
)

type routingRuleIO struct {
	Code         string `json:"code" validate:"required,max=64"`
	CategoryCode string `json:"category_code,omitempty" validate:"max=64"`
	AreaCode     string `json:"area_code,omitempty" validate:"max=64"`
	AgencyCode   string `json:"agency_code" validate:"required,max=64"`
}

func listRoutingRules(ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		rules, err := ref.RoutingRules(c.UserContext(), principal(c))
		if err != nil {
			return err
		}
		out := list0[routingRuleIO]()
		for _, r := range rules {
			out.Items = append(out.Items, routingRuleIO(r))
		}
		return c.JSON(out)
	}
}

func createRoutingRule(ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in routingRuleIO
		if err := decodeJSON(c, &in); err != nil {
			return alsoInvalid(err, fieldsOf(feedback.RoutingRule(in).Validate()))
		}
		if err := ref.SaveRoutingRule(c.UserContext(), principal(c), feedback.RoutingRule(in), true); err != nil {
			return err
		}
		c.Location("/v1/admin/routing-rules/" + in.Code)
		c.Status(fiber.StatusCreated)
		return c.JSON(in)
	}
}

func replaceRoutingRule(ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in routingRuleIO
		if err := decodeJSON(c, &in); err != nil {
			return alsoInvalid(err, fieldsOf(feedback.RoutingRule(in).Validate()))
		}
		code := string([]byte(c.Params("code")))
		if in.Code != code {
			return alsoInvalid(invalidQuery("code", "Mã trong nội dung phải trùng mã trên đường dẫn", "must equal the code in the path"),
				fieldsOf(feedback.RoutingRule(in).Validate()))
		}
		if err := ref.SaveRoutingRule(c.UserContext(), principal(c), feedback.RoutingRule(in), false); err != nil {
			return err
		}
		return c.JSON(in)
	}
}

func deleteRoutingRule(ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := ref.DeleteRoutingRule(c.UserContext(), principal(c), string([]byte(c.Params("code")))); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

type rerouteIn struct {
	AgencyCode string `json:"agency_code" validate:"required,max=64"`
	Note       string `json:"note" validate:"required,max=2000"`
	// ExpectedVersion is the version the coordinator's form showed; 0 or
	// absent skips the check.
	ExpectedVersion int64 `json:"expected_version" validate:"min=0"`
}

func rerouteReport(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var in rerouteIn
		err := decodeJSON(c, &in)
		re := feedback.RerouteInput{AgencyCode: in.AgencyCode, Note: in.Note, ExpectedVersion: in.ExpectedVersion}
		if err != nil {
			return alsoInvalid(err, svc.CheckReroute(c.UserContext(), principal(c), re))
		}
		r, err := svc.Reroute(c.UserContext(), principal(c), string([]byte(c.Params("id"))), re)
		if err != nil {
			return err
		}
		n, err := loadNames(c.UserContext(), ref)
		if err != nil {
			return err
		}
		return c.JSON(toReport(r, feedback.ViewStaff, n, localized(c), svc.Now()))
	}
}
