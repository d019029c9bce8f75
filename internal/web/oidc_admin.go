package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// The admin's page for the province's shared accounts: which provider
// groups map to which staff role and agency, and which acr values count
// as a verified identity. Every change is a plain form post with the
// session's CSRF token (post/redirect/get).

var oidcAdminMessages = map[string]i18n.Text{
	"nav.oidc":         i18n.T("Tài khoản dùng chung", "Province accounts"),
	"oidcadm.title":    i18n.T("Tài khoản dùng chung của tỉnh: ánh xạ nhóm", "Province shared accounts: group mappings"),
	"oidcadm.help":     i18n.T("Khi cán bộ đăng nhập bằng tài khoản dùng chung, các nhóm của họ tại hệ thống tài khoản của tỉnh được tra trong bảng này. Vai trò cao nhất trong các nhóm khớp được áp dụng (quản trị hệ thống, điều phối viên, quản trị cơ quan, cán bộ xử lý, phân tích); nếu các nhóm cùng vai trò chỉ tới các cơ quan khác nhau thì từ chối đăng nhập. Không khớp nhóm nào thì từ chối. Chỉ ánh xạ ghi rõ vai trò quản trị hệ thống mới cấp quyền quản trị. Thay đổi có hiệu lực từ lần đăng nhập sau.", "When staff sign in with the province's shared account, their groups at the province's account service are looked up here. The most privileged role among the matching groups applies (administrator, coordinator, agency admin, officer, analyst); if groups of that role name different agencies, the sign-in is refused. No matching group: refused. Only a mapping that says administrator grants administrator. Changes apply at the next sign-in."),
	"oidcadm.group":    i18n.T("Nhóm (giá trị trong claim nhóm)", "Group (value of the groups claim)"),
	"oidcadm.add":      i18n.T("Thêm ánh xạ", "Add mapping"),
	"oidcadm.save":     i18n.T("Lưu", "Save"),
	"oidcadm.delete":   i18n.T("Xóa", "Delete"),
	"oidcadm.none":     i18n.T("Chưa có ánh xạ nào: chưa cán bộ nào đăng nhập được bằng tài khoản dùng chung.", "No mappings yet: no staff member can sign in with the shared account."),
	"oidcadm.acr":      i18n.T("Mức xác thực được coi là đã định danh (acr)", "Assurance levels counted as a verified identity (acr)"),
	"oidcadm.acr.help": i18n.T("Mỗi dòng một giá trị acr. Tài khoản có acr thuộc danh sách này được coi là đã định danh: câu trả lời khảo sát của họ trong ứng dụng thuộc kênh “verified”.", "One acr value per line. Accounts whose acr is listed count as verified: their survey answers in the app form the “verified” channel."),
	"oidcadm.saved":    i18n.T("Đã lưu.", "Saved."),
	"oidcadm.deleted":  i18n.T("Đã xóa ánh xạ.", "Mapping deleted."),
}

func init() {
	for k, v := range oidcAdminMessages {
		messages[k] = v
	}
}

// oidcAdminRoutes mounts the page (admins only). Call before the generic
// /admin/:kind routes.
func (w *Console) oidcAdminRoutes(s fiber.Router) {
	adm := w.need(identity.PermUsersManage)
	s.Get("/admin/oidc", adm, w.oidcAdminPage)
	s.Post("/admin/oidc/mappings", adm, w.oidcMappingSave)
	s.Post("/admin/oidc/mappings/:id", adm, w.oidcMappingSave)
	s.Post("/admin/oidc/mappings/:id/delete", adm, w.oidcMappingDelete)
	s.Post("/admin/oidc/acr", adm, w.oidcACRSave)
}

type oidcMappingRow struct {
	ID, Group, AgencyCode string
	Role                  identity.Role
	Form                  mappingForm
	Open                  bool // its form failed: show it open
}

// mappingForm is one mapping's form: a row's, or the new one's.
type mappingForm struct {
	Lang                i18n.Lang
	CSRF, Key           string
	Group, Role, Agency string
	Roles, Agencies     []option
	Errors              map[string]string
}

type oidcAdminView struct {
	page
	Rows    []oidcMappingRow
	New     mappingForm
	ACR     string
	Errors  map[string]string // the acr form's
	Message string
}

// fail puts a failed form's input and errors back in its place: the row
// with id, or the new mapping's form.
func (v *oidcAdminView) fail(id string, input map[string]string, errs map[string]string) {
	f := &v.New
	for i := range v.Rows {
		if v.Rows[i].ID == id {
			f, v.Rows[i].Open = &v.Rows[i].Form, true
		}
	}
	f.Group, f.Role, f.Agency, f.Errors = input["group"], input["role"], input["agency_code"], errs
}

func (w *Console) oidcAdminView(c *fiber.Ctx) (oidcAdminView, error) {
	ctx := c.UserContext()
	u, _ := userOf(c)
	lang := langOf(c)
	v := oidcAdminView{page: w.base(c, tr(lang, "oidcadm.title"), "oidc"), Errors: map[string]string{}}
	list, err := w.cfg.Identity.GroupMappings(ctx, u)
	if err != nil {
		return v, err
	}
	acr, err := w.cfg.Identity.VerifiedACRs(ctx, u)
	if err != nil {
		return v, err
	}
	v.ACR = strings.Join(acr, "\n")
	var roles []option
	for _, r := range identity.StaffRoles {
		roles = append(roles, option{Value: string(r), Label: roleLabel(lang, r)})
	}
	ref, err := w.cfg.Reference.Snapshot(ctx)
	if err != nil {
		return v, err
	}
	agencies := append([]option{{Value: "", Label: tr(lang, "ref.none")}}, agencyOptions(ref, lang, "", false)...)
	form := func(key, group, role, agency string) mappingForm {
		return mappingForm{Lang: lang, CSRF: v.CSRF, Key: key, Group: group, Role: role, Agency: agency, Roles: roles, Agencies: agencies, Errors: map[string]string{}}
	}
	for _, m := range list {
		v.Rows = append(v.Rows, oidcMappingRow{ID: m.ID, Group: m.Group, Role: m.Role, AgencyCode: m.AgencyCode,
			Form: form(m.ID, m.Group, string(m.Role), m.AgencyCode)})
	}
	v.New = form("new", "", string(identity.RoleOfficer), "")
	return v, nil
}

func (w *Console) oidcAdminPage(c *fiber.Ctx) error {
	v, err := w.oidcAdminView(c)
	if err != nil {
		return w.failErr(c, err)
	}
	return w.render(c, fiber.StatusOK, "oidc_admin", "", v)
}

// oidcMappingSave creates (no id) or replaces a mapping; a broken rule
// re-renders the page with the input and each field's error.
func (w *Console) oidcMappingSave(c *fiber.Ctx) error {
	u, _ := userOf(c)
	id := strings.Clone(c.Params("id"))
	in := identity.GroupMappingInput{Group: c.FormValue("group"), Role: identity.Role(c.FormValue("role")), AgencyCode: c.FormValue("agency_code")}
	if !identity.Role(in.Role).HasAgency() {
		in.AgencyCode = "" // the form keeps the agency select for every role
	}
	var err error
	if id == "" {
		_, err = w.cfg.Identity.CreateGroupMapping(c.UserContext(), u, in)
	} else {
		_, err = w.cfg.Identity.UpdateGroupMapping(c.UserContext(), u, id, in)
	}
	switch apperr.CodeOf(err) {
	case "":
		return w.redirect(c, "/console/admin/oidc", "oidcadm.saved")
	case apperr.EINVALID, apperr.ECONFLICT:
		v, verr := w.oidcAdminView(c)
		if verr != nil {
			return w.failErr(c, verr)
		}
		v.fail(id, map[string]string{"group": c.FormValue("group"), "role": c.FormValue("role"), "agency_code": c.FormValue("agency_code")},
			fieldErrors(err, v.Lang))
		v.Message = messageOf(err, v.Lang)
		return w.render(c, statusOf(err), "oidc_admin", "", v)
	}
	return w.failErr(c, err)
}

func (w *Console) oidcMappingDelete(c *fiber.Ctx) error {
	u, _ := userOf(c)
	if err := w.cfg.Identity.DeleteGroupMapping(c.UserContext(), u, strings.Clone(c.Params("id"))); err != nil {
		return w.failErr(c, err)
	}
	return w.redirect(c, "/console/admin/oidc", "oidcadm.deleted")
}

func (w *Console) oidcACRSave(c *fiber.Ctx) error {
	u, _ := userOf(c)
	_, err := w.cfg.Identity.SetVerifiedACRs(c.UserContext(), u, strings.Split(c.FormValue("acr_values"), "\n"))
	if apperr.CodeOf(err) == apperr.EINVALID {
		v, verr := w.oidcAdminView(c)
		if verr != nil {
			return w.failErr(c, verr)
		}
		v.ACR = c.FormValue("acr_values")
		v.Errors = fieldErrors(err, v.Lang)
		return w.render(c, statusOf(err), "oidc_admin", "", v)
	}
	if err != nil {
		return w.failErr(c, err)
	}
	return w.redirect(c, "/console/admin/oidc", "oidcadm.saved")
}
