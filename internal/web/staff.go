package web

import (
	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// staffRow is one account in the staff list.
type staffRow struct {
	ID, Name, Email, Agency string
	AgencyCode              string
	Role                    identity.Role
	Disabled                bool
}

// staffView is the staff page: an agency admin's officers, or every staff
// account for an admin.
type staffView struct {
	page
	Rows       []staffRow
	Roles      []option
	Agencies   []option
	FixAgency  string // an agency admin adds officers of their own agency only
	CanAssign  bool   // admins change roles and agencies
	Input      map[string]string
	Errors     map[string]string
	Message    string
	TempFor    string
	TempPass   string
	NextCursor string
}

func (w *Console) staffView(c *fiber.Ctx) (staffView, error) {
	ctx := c.UserContext()
	u, _ := userOf(c)
	lang := langOf(c)
	v := staffView{page: w.base(c, tr(lang, "staff.title"), "staff"), Input: map[string]string{}, Errors: map[string]string{}}
	if !u.Can(identity.PermUsersManage) && !u.Can(identity.PermOfficersManage) {
		return v, identity.ErrForbidden()
	}
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return v, err
	}
	n := namesOf(ref, lang)
	after := ""
	if cur := c.Query("cursor"); cur != "" {
		if after, err = identity.DecodeCursor(cur); err != nil {
			return v, err
		}
	}
	list, err := w.cfg.Identity.ListUsers(ctx, u, identity.UserFilter{After: after, Limit: 100})
	if err != nil {
		return v, err
	}
	for _, x := range list {
		if !x.Role.IsStaff() || x.Erased {
			continue // the console manages staff; citizens manage themselves
		}
		v.Rows = append(v.Rows, staffRow{ID: x.ID, Name: x.Name, Email: x.Email, Agency: n.agencies[x.AgencyCode],
			AgencyCode: x.AgencyCode, Role: x.Role, Disabled: x.Disabled})
	}
	if len(list) == 100 {
		v.NextCursor = identity.EncodeCursor(list[len(list)-1].ID)
	}
	if u.Can(identity.PermUsersManage) {
		for _, r := range identity.StaffRoles {
			v.Roles = append(v.Roles, option{Value: string(r), Label: roleLabel(lang, r)})
		}
		v.Agencies = append([]option{{Value: "", Label: tr(lang, "ref.none")}}, agencyOptions(ref, lang, "", false)...)
		v.CanAssign = true
	} else {
		v.Roles = []option{{Value: string(identity.RoleOfficer), Label: roleLabel(lang, identity.RoleOfficer), Selected: true}}
		v.FixAgency = n.agencies[u.AgencyCode]
	}
	return v, nil
}

func (w *Console) staffPage(c *fiber.Ctx) error {
	v, err := w.staffView(c)
	if err != nil {
		return w.failErr(c, err)
	}
	return w.render(c, fiber.StatusOK, "staff", "", v)
}

func (w *Console) staffCreate(c *fiber.Ctx) error {
	u, _ := userOf(c)
	in := identity.StaffInput{Role: identity.Role(c.FormValue("role")), Email: c.FormValue("email"), Name: c.FormValue("name"),
		Password: c.FormValue("password"), AgencyCode: c.FormValue("agency_code")}
	if !u.Can(identity.PermUsersManage) {
		in.Role, in.AgencyCode = identity.RoleOfficer, u.AgencyCode
	}
	if _, err := w.cfg.Identity.CreateStaff(c.UserContext(), u, in); err != nil {
		if apperr.CodeOf(err) != apperr.EINVALID && apperr.CodeOf(err) != apperr.ECONFLICT {
			return w.failErr(c, err)
		}
		v, verr := w.staffView(c)
		if verr != nil {
			return w.failErr(c, verr)
		}
		v.Input = map[string]string{"role": string(in.Role), "email": in.Email, "name": in.Name, "agency_code": in.AgencyCode}
		v.Errors, v.Message = fieldErrors(err, v.Lang), messageOf(err, v.Lang)
		return w.render(c, statusOf(err), "staff", "", v)
	}
	return w.redirect(c, "/console/staff", "done")
}

// staffUpdate enables or disables an account (disabling ends its sessions
// and tokens at once), or, for admins, changes its role and agency.
func (w *Console) staffUpdate(c *fiber.Ctx) error {
	u, _ := userOf(c)
	var in identity.StaffUpdate
	switch c.FormValue("op") {
	case "disable", "enable":
		disabled := c.FormValue("op") == "disable"
		in.Disabled = &disabled
	case "assign":
		role, agency := identity.Role(c.FormValue("role")), c.FormValue("agency_code")
		in.Role, in.AgencyCode = &role, &agency
	default:
		return w.fail(c, fiber.StatusBadRequest, "error")
	}
	if _, err := w.cfg.Identity.UpdateStaff(c.UserContext(), u, string([]byte(c.Params("id"))), in); err != nil {
		return w.failErr(c, err)
	}
	return w.redirect(c, "/console/staff", "done")
}

// staffReset sets a temporary password and shows it once, on this
// response only (never in a URL, never stored in the clear).
func (w *Console) staffReset(c *fiber.Ctx) error {
	u, _ := userOf(c)
	id := string([]byte(c.Params("id")))
	pass, err := w.cfg.Identity.ResetPassword(c.UserContext(), u, id)
	if err != nil {
		return w.failErr(c, err)
	}
	v, err := w.staffView(c)
	if err != nil {
		return w.failErr(c, err)
	}
	v.TempFor, v.TempPass = id, pass
	for _, r := range v.Rows {
		if r.ID == id {
			v.TempFor = r.Email
		}
	}
	v.Flash = i18n.T("Đã đặt lại mật khẩu.", "The password was reset.").In(v.Lang)
	return w.render(c, fiber.StatusOK, "staff", "", v)
}
