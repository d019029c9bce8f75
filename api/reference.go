package api

import (
	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/i18n"
)

type list[T any] struct {
	Items []T `json:"items"`
}

type categoryOut struct {
	Code              string `json:"code"`
	Name              string `json:"name"`
	Description       string `json:"description,omitempty"`
	UrgentCapable     bool   `json:"urgent_capable"`
	OutOfScope        bool   `json:"out_of_scope"`
	OutOfScopeMessage string `json:"out_of_scope_message,omitempty"`
	DefaultAgencyCode string `json:"default_agency_code,omitempty"`
}

func listCategories(svc *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cats, err := svc.Categories(c.UserContext())
		if err != nil {
			return err
		}
		lang := localized(c)
		out := list[categoryOut]{Items: make([]categoryOut, 0, len(cats))}
		for _, k := range cats {
			out.Items = append(out.Items, categoryOut{
				Code: k.Code, Name: k.Name.In(lang), Description: k.Description.In(lang),
				UrgentCapable: k.UrgentCapable, OutOfScope: k.OutOfScope,
				OutOfScopeMessage: k.OutOfScopeMessage.In(lang), DefaultAgencyCode: k.DefaultAgencyCode,
			})
		}
		return c.JSON(out)
	}
}

type agencyOut struct {
	Code     string           `json:"code"`
	Name     string           `json:"name"`
	Kind     string           `json:"kind"`
	AreaCode string           `json:"area_code,omitempty"`
	Contact  feedback.Contact `json:"contact"`
}

func listAgencies(svc *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		agencies, err := svc.Agencies(c.UserContext())
		if err != nil {
			return err
		}
		lang := localized(c)
		out := list[agencyOut]{Items: make([]agencyOut, 0, len(agencies))}
		for _, a := range agencies {
			out.Items = append(out.Items, agencyOut{Code: a.Code, Name: a.Name.In(lang), Kind: string(a.Kind), AreaCode: a.AreaCode, Contact: a.Contact})
		}
		return c.JSON(out)
	}
}

type areaOut struct {
	Code          string `json:"code"`
	OfficialCode  string `json:"official_code,omitempty"`
	Name          string `json:"name"`
	Level         string `json:"level"`
	ParentCode    string `json:"parent_code,omitempty"`
	HasBoundary   bool   `json:"has_boundary"`
	Historical    bool   `json:"historical,omitempty"`
	SuccessorCode string `json:"successor_code,omitempty"`
}

func listAreas(svc *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		in := feedback.AreaQuery{Parent: q.String("parent", 64), Name: q.String("q", 100), Historical: q.Bool("include_historical")}
		if err := q.Err(); err != nil {
			return err
		}
		areas, err := svc.Areas(c.UserContext(), in)
		if err != nil {
			return err
		}
		lang := localized(c)
		out := list[areaOut]{Items: make([]areaOut, 0, len(areas))}
		for _, a := range areas {
			out.Items = append(out.Items, areaOut{Code: a.Code, OfficialCode: a.OfficialCode, Name: a.Name.In(lang), Level: string(a.Level),
				ParentCode: a.ParentCode, HasBoundary: a.HasBoundary(),
				Historical: a.Historical, SuccessorCode: a.SuccessorCode})
		}
		return c.JSON(out)
	}
}

// allAreas lists areas for admins: historical units included.
func allAreas(svc *feedback.ReferenceService) func(c *fiber.Ctx) ([]feedback.Area, error) {
	return func(c *fiber.Ctx) ([]feedback.Area, error) {
		return svc.Areas(c.UserContext(), feedback.AreaQuery{Parent: c.Query("parent"), Historical: true})
	}
}

// localized negotiates the language and says so in the response headers.
func localized(c *fiber.Ctx) i18n.Lang {
	lang := langOf(c)
	c.Set(fiber.HeaderContentLanguage, string(lang))
	c.Vary(fiber.HeaderAcceptLanguage)
	return lang
}
