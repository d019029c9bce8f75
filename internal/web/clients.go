package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apiclient"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// clientMessages are the API client page's texts, Vietnamese first.
var clientMessages = map[string]i18n.Text{
	"clients.title":       i18n.T("Ứng dụng kết nối (khóa API)", "API clients"),
	"clients.intro":       i18n.T("Hệ thống khác của tỉnh (LGSP, ứng dụng Open311) gọi API bằng khóa riêng. Khóa chỉ hiện một lần; hệ thống chỉ lưu mã băm.", "Other provincial systems (LGSP, Open311 apps) call the API with a key of their own. A key is shown once; only its hash is kept."),
	"clients.name":        i18n.T("Tên ứng dụng", "Name"),
	"clients.scopes":      i18n.T("Quyền", "Scopes"),
	"clients.rate":        i18n.T("Giới hạn (yêu cầu/phút)", "Limit (requests a minute)"),
	"clients.used":        i18n.T("Dùng lần cuối", "Last used"),
	"clients.never":       i18n.T("Chưa dùng", "Never"),
	"clients.state":       i18n.T("Trạng thái", "State"),
	"clients.active":      i18n.T("Đang hoạt động", "Active"),
	"clients.revoked":     i18n.T("Đã thu hồi", "Revoked"),
	"clients.rotate":      i18n.T("Cấp khóa mới (khóa cũ dùng thêm 1 giờ)", "New key (the old one works one more hour)"),
	"clients.revoke":      i18n.T("Thu hồi khóa", "Revoke"),
	"clients.add":         i18n.T("Thêm ứng dụng", "Add a client"),
	"clients.webhook":     i18n.T("Địa chỉ nhận webhook (cần quyền webhooks, không bắt buộc)", "Webhook URL (needs the webhooks scope; optional)"),
	"clients.events":      i18n.T("Sự kiện nhận (cách nhau bởi dấu phẩy, trống là tất cả)", "Events (comma-separated; empty is all)"),
	"clients.key":         i18n.T("Khóa API (chỉ hiện một lần, hãy chuyển qua kênh an toàn)", "API key (shown once; hand it over through a safe channel)"),
	"clients.secret":      i18n.T("Khóa ký webhook (chỉ hiện một lần)", "Webhook signing secret (shown once)"),
	"clients.none":        i18n.T("Chưa có ứng dụng nào.", "No clients yet."),
	"clients.done":        i18n.T("Đã thu hồi khóa.", "The keys were revoked."),
	"clients.manage":      i18n.T("Ứng dụng kết nối (khóa API)", "API clients (keys)"),
	"scope.stats:read":    i18n.T("Đọc thống kê (stats:read)", "Read statistics (stats:read)"),
	"scope.reports:read":  i18n.T("Đọc phản ánh công khai (reports:read)", "Read published reports (reports:read)"),
	"scope.open311:write": i18n.T("Gửi phản ánh qua Open311 (open311:write)", "Post Open311 requests (open311:write)"),
	"scope.webhooks":      i18n.T("Nhận webhook (webhooks)", "Receive webhooks (webhooks)"),
}

func init() {
	for k, v := range clientMessages {
		messages[k] = v
	}
}

type clientRow struct {
	ID, Name, Scopes, Used string
	RateLimit              int
	Revoked                bool
}

// clientsView is the API client page: the list, the form, and a key just
// made (shown on that response only).
type clientsView struct {
	page
	Rows    []clientRow
	Scopes  []option
	Input   map[string]string
	Errors  map[string]string
	Message string
	NewKey  string
	Secret  string
	KeyFor  string
}

func (w *Console) clientsView(c *fiber.Ctx) (clientsView, error) {
	lang := langOf(c)
	v := clientsView{page: w.base(c, tr(lang, "clients.title"), "staff"), Input: map[string]string{}, Errors: map[string]string{}}
	if w.cfg.Clients == nil {
		return v, apperr.NotFound(i18n.T("Không có", "not found"))
	}
	list, err := w.cfg.Clients.List(c.UserContext())
	if err != nil {
		return v, err
	}
	for _, cl := range list {
		r := clientRow{ID: cl.ID, Name: cl.Name, RateLimit: cl.RateLimit, Revoked: cl.Revoked(), Used: tr(lang, "clients.never")}
		var sc []string
		for _, s := range cl.Scopes {
			sc = append(sc, string(s))
		}
		r.Scopes = strings.Join(sc, ", ")
		if cl.LastUsedAt != nil {
			r.Used = cl.LastUsedAt.In(clientsZone).Format("2006-01-02 15:04")
		}
		v.Rows = append(v.Rows, r)
	}
	for _, s := range apiclient.Scopes {
		v.Scopes = append(v.Scopes, option{Value: string(s), Label: tr(lang, "scope."+string(s))})
	}
	return v, nil
}

func (w *Console) clientsPage(c *fiber.Ctx) error {
	v, err := w.clientsView(c)
	if err != nil {
		return w.failErr(c, err)
	}
	return w.render(c, fiber.StatusOK, "clients", "", v)
}

// clientsCreate makes a client and shows its key on this response only.
func (w *Console) clientsCreate(c *fiber.Ctx) error {
	args := c.Request().PostArgs()
	var scopes []string
	for _, s := range args.PeekMulti("scopes") {
		scopes = append(scopes, string(s))
	}
	in := apiclient.Input{Name: c.FormValue("name"), Scopes: scopes}
	if rate := strings.TrimSpace(c.FormValue("rate_limit")); rate != "" {
		n, ok := clientsAtoi(rate)
		if !ok {
			n = -1
		}
		in.RateLimit = n
	}
	if u := strings.TrimSpace(c.FormValue("webhook_url")); u != "" {
		in.Webhook = &apiclient.WebhookInput{URL: u}
		for _, e := range strings.Split(c.FormValue("events"), ",") {
			if e = strings.TrimSpace(e); e != "" {
				in.Webhook.Events = append(in.Webhook.Events, e)
			}
		}
	}
	made, err := w.cfg.Clients.Create(c.UserContext(), in)
	v, verr := w.clientsView(c)
	if verr != nil {
		return w.failErr(c, verr)
	}
	if err != nil {
		if apperr.CodeOf(err) != apperr.EINVALID {
			return w.failErr(c, err)
		}
		v.Input = map[string]string{"name": in.Name, "rate_limit": c.FormValue("rate_limit"), "webhook_url": c.FormValue("webhook_url"), "events": c.FormValue("events")}
		v.Errors, v.Message = fieldErrors(err, v.Lang), messageOf(err, v.Lang)
		return w.render(c, statusOf(err), "clients", "", v)
	}
	v.NewKey, v.Secret, v.KeyFor = made.Key, made.WebhookSecret, made.Client.Name
	return w.render(c, fiber.StatusCreated, "clients", "", v)
}

// clientsRotate gives a client a new key, shown on this response only; the
// old one works for apiclient.DefaultOverlap more.
func (w *Console) clientsRotate(c *fiber.Ctx) error {
	made, err := w.cfg.Clients.Rotate(c.UserContext(), string([]byte(c.Params("id"))), apiclient.DefaultOverlap)
	if err != nil {
		return w.failErr(c, err)
	}
	v, err := w.clientsView(c)
	if err != nil {
		return w.failErr(c, err)
	}
	v.NewKey, v.KeyFor = made.Key, made.Client.Name
	return w.render(c, fiber.StatusOK, "clients", "", v)
}

// clientsRevoke refuses every key of a client from the next request on.
func (w *Console) clientsRevoke(c *fiber.Ctx) error {
	if _, err := w.cfg.Clients.Revoke(c.UserContext(), string([]byte(c.Params("id")))); err != nil {
		return w.failErr(c, err)
	}
	return w.redirect(c, "/console/clients", "clients.done")
}

func clientsAtoi(s string) (int, bool) {
	n := 0
	if s == "" || len(s) > 6 {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}

var clientsZone = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Ho_Chi_Minh"); err == nil {
		return loc
	}
	return time.FixedZone("ICT", 7*3600)
}()

// clientRoutes mounts the page for admins (those who manage every account).
func (w *Console) clientRoutes(s fiber.Router) {
	admin := w.need(identity.PermUsersManage)
	s.Get("/clients", admin, w.clientsPage)
	s.Post("/clients", admin, w.clientsCreate)
	s.Post("/clients/:id/rotate", admin, w.clientsRotate)
	s.Post("/clients/:id/revoke", admin, w.clientsRevoke)
}
