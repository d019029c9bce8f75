package web

import (
	"encoding/json"

	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// refKinds are the reference entities edited in forms, in menu order.
var refKinds = []string{"categories", "agencies", "areas", "routing_rules"}

var refTitles = map[string]string{"categories": "ref.categories", "agencies": "ref.agencies", "areas": "ref.areas",
	"routing_rules": "ref.rules", "calendar": "ref.calendar", "audit": "ref.audit"}

// refRow is one entity in a list.
type refRow struct {
	Code, Name, Detail string
	Inactive           bool
}

// refView is a reference list or form page.
type refView struct {
	page
	Kind       string
	Kinds      []tab
	Rows       []refRow
	Create     bool
	Code       string
	In         map[string]string // the form's values
	Errors     map[string]string
	Message    string
	Agencies   []option
	Areas      []option
	Categories []option
	Choices    []option // agency kinds or area levels
}

func (w *Console) refBase(c *fiber.Ctx, kind string) refView {
	lang := langOf(c)
	v := refView{page: w.base(c, tr(lang, "ref.title")+" · "+tr(lang, refTitles[kind]), "ref"), Kind: kind,
		In: map[string]string{}, Errors: map[string]string{}}
	for _, k := range append(append([]string{}, refKinds...), "calendar", "audit") {
		v.Kinds = append(v.Kinds, tab{Label: tr(lang, refTitles[k]), URL: "/console/admin/" + k, Active: k == kind})
	}
	return v
}

func knownKind(kind string) bool {
	for _, k := range refKinds {
		if k == kind {
			return true
		}
	}
	return false
}

func (w *Console) refList(c *fiber.Ctx) error {
	kind := c.Params("kind")
	if !knownKind(kind) {
		return w.fail(c, fiber.StatusNotFound, "notfound")
	}
	ctx := c.UserContext()
	u, _ := userOf(c)
	v := w.refBase(c, kind)
	ref, err := w.cfg.Reference.Export(ctx)
	if err != nil {
		return w.failErr(c, err)
	}
	n := namesOf(ref, v.Lang)
	switch kind {
	case "categories":
		for _, x := range ref.Categories {
			v.Rows = append(v.Rows, refRow{Code: x.Code, Name: x.Name.In(v.Lang), Detail: n.agencies[x.DefaultAgencyCode], Inactive: x.OutOfScope})
		}
	case "agencies":
		for _, x := range ref.Agencies {
			v.Rows = append(v.Rows, refRow{Code: x.Code, Name: x.Name.In(v.Lang), Detail: string(x.Kind), Inactive: !x.Active})
		}
	case "areas":
		for _, x := range ref.Areas {
			v.Rows = append(v.Rows, refRow{Code: x.Code, Name: x.Name.In(v.Lang), Detail: string(x.Level) + " · " + n.areas[x.ParentCode]})
		}
	case "routing_rules":
		rules, err := w.cfg.Reference.RoutingRules(ctx, u)
		if err != nil {
			return w.failErr(c, err)
		}
		for _, x := range rules {
			cat, area := n.categories[x.CategoryCode], n.areas[x.AreaCode]
			if cat == "" {
				cat = tr(v.Lang, "ref.any")
			}
			if area == "" {
				area = tr(v.Lang, "ref.any")
			}
			v.Rows = append(v.Rows, refRow{Code: x.Code, Name: cat + " × " + area + " → " + n.agencies[x.AgencyCode]})
		}
	}
	return w.render(c, fiber.StatusOK, "ref_list", "", v)
}

// refForm shows the form of a new entity or of an existing one.
func (w *Console) refForm(c *fiber.Ctx) error {
	kind := c.Params("kind")
	if !knownKind(kind) {
		return w.fail(c, fiber.StatusNotFound, "notfound")
	}
	code := string([]byte(c.Params("code")))
	v, err := w.refFormView(c, kind)
	if err != nil {
		return w.failErr(c, err)
	}
	v.Create = code == ""
	if !v.Create {
		ref, err := w.cfg.Reference.Export(c.UserContext())
		if err != nil {
			return w.failErr(c, err)
		}
		in, ok := entityForm(ref, kind, code)
		if !ok {
			return w.fail(c, fiber.StatusNotFound, "notfound")
		}
		v.Code, v.In = code, in
	} else if kind == "agencies" {
		v.In["active"] = "1"
	}
	return w.render(c, fiber.StatusOK, "ref_form", "", v)
}

func (w *Console) refFormView(c *fiber.Ctx, kind string) (refView, error) {
	v := w.refBase(c, kind)
	ref, err := w.cfg.Reference.Export(c.UserContext())
	if err != nil {
		return v, err
	}
	v.Agencies = append([]option{{Value: "", Label: tr(v.Lang, "ref.none")}}, agencyOptions(ref, v.Lang, "", false)...)
	v.Areas = []option{{Value: "", Label: tr(v.Lang, "ref.any")}}
	for _, a := range ref.Areas {
		v.Areas = append(v.Areas, option{Value: a.Code, Label: a.Name.In(v.Lang)})
	}
	v.Categories = []option{{Value: "", Label: tr(v.Lang, "ref.any")}}
	for _, x := range ref.Categories {
		v.Categories = append(v.Categories, option{Value: x.Code, Label: x.Name.In(v.Lang)})
	}
	switch kind {
	case "agencies":
		for _, k := range []feedback.AgencyKind{feedback.AgencyDepartment, feedback.AgencyCommune, feedback.AgencyUtility, feedback.AgencyCoordinator} {
			v.Choices = append(v.Choices, option{Value: string(k), Label: string(k)})
		}
	case "areas":
		for _, l := range []feedback.AreaLevel{feedback.LevelProvince, feedback.LevelCommune, feedback.LevelWard, feedback.LevelSpecialZone} {
			v.Choices = append(v.Choices, option{Value: string(l), Label: string(l)})
		}
	}
	return v, nil
}

// entityForm writes an entity's fields as form values.
func entityForm(ref *feedback.Reference, kind, code string) (map[string]string, bool) {
	b := func(x bool) string {
		if x {
			return "1"
		}
		return ""
	}
	f := func(x float64) string {
		if x == 0 {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	switch kind {
	case "categories":
		for _, x := range ref.Categories {
			if x.Code == code {
				m := map[string]string{"code": x.Code, "name_vi": x.Name.Vi, "name_en": x.Name.En, "default_agency_code": x.DefaultAgencyCode,
					"urgent_capable": b(x.UrgentCapable), "out_of_scope": b(x.OutOfScope), "oos_vi": x.OutOfScopeMessage.Vi,
					"oos_en": x.OutOfScopeMessage.En, "sort_order": strconv.Itoa(x.SortOrder), "auto_dispatch": b(x.AutoDispatch),
					"desc_vi": x.Description.Vi, "desc_en": x.Description.En}
				if x.SLA != nil {
					m["dispatch_hours"], m["response_hours"] = f(x.SLA.DispatchHours), f(x.SLA.ResponseHours)
					if x.SLA.ResolutionWorkingDays > 0 {
						m["resolution_days"] = strconv.Itoa(x.SLA.ResolutionWorkingDays)
					}
				}
				return m, true
			}
		}
	case "agencies":
		for _, x := range ref.Agencies {
			if x.Code == code {
				return map[string]string{"code": x.Code, "name_vi": x.Name.Vi, "name_en": x.Name.En, "kind": string(x.Kind),
					"area_code": x.AreaCode, "phone": x.Contact.Phone, "email": x.Contact.Email, "address": x.Contact.Address,
					"active": b(x.Active)}, true
			}
		}
	case "areas":
		for _, x := range ref.Areas {
			if x.Code == code {
				return map[string]string{"code": x.Code, "name_vi": x.Name.Vi, "name_en": x.Name.En, "level": string(x.Level),
					"parent_code": x.ParentCode, "boundary": string(x.Boundary), "official_code": x.OfficialCode,
					"historical": b(x.Historical), "successor_code": x.SuccessorCode}, true
			}
		}
	case "routing_rules":
		for _, x := range ref.RoutingRules {
			if x.Code == code {
				return map[string]string{"code": x.Code, "category_code": x.CategoryCode, "area_code": x.AreaCode, "agency_code": x.AgencyCode}, true
			}
		}
	}
	return nil, false
}

var refFields = []string{"code", "name_vi", "name_en", "default_agency_code", "urgent_capable", "out_of_scope", "oos_vi", "oos_en",
	"sort_order", "auto_dispatch", "desc_vi", "desc_en", "dispatch_hours", "response_hours", "resolution_days", "kind", "area_code",
	"phone", "email", "address", "active", "level", "parent_code", "boundary", "category_code", "agency_code",
	"official_code", "historical", "successor_code"}

// refSave creates or updates an entity from its form. The domain checks the
// whole dataset with the change applied; a refusal re-shows the form with
// the input and each field's error.
func (w *Console) refSave(c *fiber.Ctx) error {
	kind := c.Params("kind")
	if !knownKind(kind) {
		return w.fail(c, fiber.StatusNotFound, "notfound")
	}
	ctx := c.UserContext()
	u, _ := userOf(c)
	code := string([]byte(c.Params("code")))
	create := code == ""
	in := map[string]string{}
	for _, k := range refFields {
		in[k] = strings.TrimSpace(c.FormValue(k))
	}
	if !create {
		in["code"] = code
	}
	var fs []apperr.FieldError
	num := func(field string) float64 {
		if in[field] == "" {
			return 0
		}
		x, err := strconv.ParseFloat(in[field], 64)
		if err != nil {
			fs = append(fs, apperr.FieldError{Field: field, Message: i18n.T("Phải là một số", "must be a number")})
		}
		return x
	}
	var err error
	switch kind {
	case "categories":
		cat := feedback.Category{Code: in["code"], Name: i18n.T(in["name_vi"], in["name_en"]), Description: i18n.T(in["desc_vi"], in["desc_en"]),
			DefaultAgencyCode: in["default_agency_code"], UrgentCapable: in["urgent_capable"] != "", OutOfScope: in["out_of_scope"] != "",
			OutOfScopeMessage: i18n.T(in["oos_vi"], in["oos_en"]), SortOrder: int(num("sort_order")), AutoDispatch: in["auto_dispatch"] != ""}
		if sla := (feedback.SLA{DispatchHours: num("dispatch_hours"), ResponseHours: num("response_hours"), ResolutionWorkingDays: int(num("resolution_days"))}); sla != (feedback.SLA{}) {
			cat.SLA = &sla
		}
		if len(fs) == 0 {
			err = w.cfg.Reference.SaveCategory(ctx, u, cat, create)
		}
	case "agencies":
		ag := feedback.Agency{Code: in["code"], Name: i18n.T(in["name_vi"], in["name_en"]), Kind: feedback.AgencyKind(in["kind"]),
			AreaCode: in["area_code"], Contact: feedback.Contact{Phone: in["phone"], Email: in["email"], Address: in["address"]}, Active: in["active"] != ""}
		err = w.cfg.Reference.SaveAgency(ctx, u, ag, create)
	case "areas":
		ar := feedback.Area{Code: in["code"], Name: i18n.T(in["name_vi"], in["name_en"]), Level: feedback.AreaLevel(in["level"]), ParentCode: in["parent_code"],
			OfficialCode: in["official_code"], Historical: in["historical"] != "", SuccessorCode: in["successor_code"]}
		if in["boundary"] != "" {
			if !json.Valid([]byte(in["boundary"])) {
				fs = append(fs, apperr.FieldError{Field: "boundary", Message: i18n.T("Không phải JSON hợp lệ", "is not valid JSON")})
			}
			ar.Boundary = json.RawMessage(in["boundary"])
		}
		if len(fs) == 0 {
			err = w.cfg.Reference.SaveArea(ctx, u, ar, create)
		}
	case "routing_rules":
		err = w.cfg.Reference.SaveRoutingRule(ctx, u, feedback.RoutingRule{Code: in["code"], CategoryCode: in["category_code"],
			AreaCode: in["area_code"], AgencyCode: in["agency_code"]}, create)
	}
	if len(fs) > 0 {
		err = apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fs...)
	}
	if err != nil {
		switch apperr.CodeOf(err) {
		case apperr.EINVALID, apperr.ECONFLICT:
		default:
			return w.failErr(c, err)
		}
		v, verr := w.refFormView(c, kind)
		if verr != nil {
			return w.failErr(c, verr)
		}
		v.Create, v.Code, v.In, v.Message = create, code, in, messageOf(err, v.Lang)
		v.Errors = refFieldErrors(err, v.Lang)
		return w.render(c, statusOf(err), "ref_form", "", v)
	}
	return w.redirect(c, "/console/admin/"+kind, "done")
}

// refFieldErrors maps the domain's field names (name.vi, sla.dispatch_hours,
// or prefixed by the entity's place in the dataset) to the form's.
func refFieldErrors(err error, lang i18n.Lang) map[string]string {
	out := map[string]string{}
	for f, msg := range fieldErrors(err, lang) {
		if i := strings.LastIndex(f, "]."); i >= 0 {
			f = f[i+2:]
		}
		f = strings.NewReplacer("name.vi", "name_vi", "name.en", "name_en", "sla.dispatch_hours", "dispatch_hours",
			"sla.response_hours", "response_hours", "sla.resolution_working_days", "resolution_days",
			"out_of_scope_message.vi", "oos_vi", "out_of_scope_message.en", "oos_en", "contact.phone", "phone",
			"contact.email", "email", "sla", "dispatch_hours").Replace(f)
		if out[f] != "" {
			msg = out[f] + "; " + msg
		}
		out[f] = msg
	}
	return out
}

func (w *Console) ruleDelete(c *fiber.Ctx) error {
	u, _ := userOf(c)
	if err := w.cfg.Reference.DeleteRoutingRule(c.UserContext(), u, string([]byte(c.Params("code")))); err != nil {
		return w.failErr(c, err)
	}
	return w.redirect(c, "/console/admin/routing_rules", "done")
}

// auditRow is one change to reference data.
type auditRow struct {
	At                      any
	Who, Kind, Code, Action string
	Before, After           string
}

type auditView struct {
	refView
	Entries []auditRow
	NextURL string
}

func (w *Console) auditPage(c *fiber.Ctx) error {
	u, _ := userOf(c)
	v := auditView{refView: w.refBase(c, "audit")}
	list, next, err := w.cfg.Reference.AuditLog(c.UserContext(), u, c.Query("cursor"), 50)
	if err != nil {
		return w.failErr(c, err)
	}
	for _, e := range list {
		who := roleLabel(v.Lang, e.ActorRole)
		if e.ActorID != "" {
			who += " · " + e.ActorID
		}
		v.Entries = append(v.Entries, auditRow{At: e.At, Who: who, Kind: e.Kind, Code: e.Code, Action: e.Action,
			Before: string(e.Before), After: string(e.After)})
	}
	if next != "" {
		v.NextURL = "/console/admin/audit?cursor=" + next
	}
	return w.render(c, fiber.StatusOK, "audit", "", v)
}
