package api

// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under
// /open311/v2/, in JSON and XML, so standard civic-issue clients work.
// It calls the same domain services as /v1 and shows what the public feed
// shows: no reporter, no contact, nothing personal. The mapping of our
// categories and statuses is documented in mobile-api-docs/open311.md.

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apiclient"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

// Open311Config configures the GeoReport v2 endpoint.
type Open311Config struct {
	// Jurisdiction is the one jurisdiction_id served ("camau.gov.vn" when
	// empty); a request naming another gets the specification's 400.
	Jurisdiction string
	// APIKeys may create requests (POST requests). Only their SHA-256
	// hashes are kept. Deprecated: API clients with the open311:write
	// scope (camaug clients create) are the way; these keys keep working
	// beside them until the operator removes CAMAUG_OPEN311_API_KEYS.
	APIKeys []string
	// Contact is the discovery document's contact line.
	Contact string
}

// open311 is the endpoint's state, built once by New.
type open311 struct {
	jurisdiction string
	contact      string
	keyHashes    [][32]byte
	log          *slog.Logger
	clients      *apiclient.Service // API clients with open311:write; nil: none
	limits       *identity.Service  // their rate limits
}

func newOpen311(cfg Open311Config, log *slog.Logger) *open311 {
	o := &open311{jurisdiction: cfg.Jurisdiction, contact: cfg.Contact, log: log}
	if o.jurisdiction == "" {
		o.jurisdiction = "camau.gov.vn"
	}
	if o.contact == "" {
		o.contact = "Trung tâm Giám sát, điều hành đô thị thông minh tỉnh Cà Mau (IOC) / Cà Mau Intelligent Operations Centre"
	}
	for _, k := range cfg.APIKeys {
		if k = strings.TrimSpace(k); k != "" {
			o.keyHashes = append(o.keyHashes, sha256.Sum256([]byte(k)))
		}
	}
	return o
}

// open311Spec is the specification's address, as discovery names it.
const open311Spec = "http://wiki.open311.org/GeoReport_v2"

// open311Changeset is when this endpoint's behaviour last changed.
const open311Changeset = "2026-12-05T00:00:00+07:00"

// o311Format is json or xml, from the path's extension.
type o311Format string

// handle wraps an Open311 handler: it reads the format and writes any
// error in the specification's format (a list of {code, description}),
// which /open311 clients expect instead of problem+json.
func (o *open311) handle(h func(c *fiber.Ctx, f o311Format) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f := o311Format(strings.ToLower(c.Params("format")))
		if f != "json" && f != "xml" {
			return o.writeError(c, "json", http.StatusNotFound, i18n.T("Chỉ hỗ trợ định dạng .json và .xml", "only the .json and .xml formats are served"))
		}
		if j := c.Query("jurisdiction_id", c.FormValue("jurisdiction_id")); j != "" && j != o.jurisdiction {
			return o.writeError(c, f, http.StatusBadRequest, i18n.T("jurisdiction_id không đúng: nơi này chỉ phục vụ "+o.jurisdiction,
				"unknown jurisdiction_id: this endpoint serves "+o.jurisdiction))
		}
		err := h(c, f)
		if err == nil {
			return nil
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) {
			o.log.Error("open311 request failed", "request_id", requestID(c), "path", c.Path(), "error", err.Error())
			return o.writeError(c, f, http.StatusInternalServerError, i18n.T("Lỗi hệ thống", "internal error"))
		}
		status := StatusOf(err)
		switch ae.Code {
		case apperr.EINVALID, apperr.EMALFORMED:
			status = http.StatusBadRequest // the specification's code for bad input
		case apperr.EUNAUTHORIZED:
			status = http.StatusForbidden
		case apperr.EINTERNAL:
			o.log.Error("open311 request failed", "request_id", requestID(c), "path", c.Path(), "error", err.Error())
			return o.writeError(c, f, status, i18n.T("Lỗi hệ thống", "internal error"))
		}
		if ae.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(ae.RetryAfter.Seconds()+0.999)))
		}
		lang := langOf(c)
		desc := ae.Message.In(lang)
		for _, fe := range ae.Fields {
			desc += "; " + open311Field(fe.Field) + ": " + fe.Message.In(lang)
		}
		return o.writeError(c, f, status, i18n.T(desc, desc))
	}
}

// unmatched answers the /open311/v2 paths and methods no route serves, in
// the specification's error format (XML when the path ends in .xml).
func (o *open311) unmatched(routes *routeTable) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f := o311Format("json")
		if strings.HasSuffix(c.Path(), ".xml") {
			f = "xml"
		}
		for _, r := range routes.routes {
			if strings.HasPrefix(r.path, "/open311/") && matchFormatPattern(r.path, c.Path()) {
				c.Set(fiber.HeaderAllow, "GET, HEAD"+map[bool]string{true: ", POST"}[strings.HasSuffix(r.path, "/requests.:format")])
				return o.writeError(c, f, http.StatusMethodNotAllowed, i18n.T("Đường dẫn này không hỗ trợ phương thức đã dùng", "this path does not support the method used"))
			}
		}
		return o.writeError(c, f, http.StatusNotFound, i18n.T("Không có tài nguyên nào ở đường dẫn này", "there is no resource at this path"))
	}
}

// matchFormatPattern matches an Open311 route pattern, whose last segment
// may be "name.:format" or ":param.:format", against a path.
func matchFormatPattern(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		x := xs[i]
		if head, ok := strings.CutSuffix(p, ".:format"); ok {
			stem, ext, found := strings.Cut(x, ".")
			if !found || ext == "" || (strings.HasPrefix(head, ":") && stem == "") || (!strings.HasPrefix(head, ":") && stem != head) {
				return false
			}
			continue
		}
		if strings.HasPrefix(p, ":") {
			if x == "" {
				return false
			}
		} else if p != x {
			return false
		}
	}
	return true
}

// open311Field names a domain field by the Open311 parameter that fed it.
func open311Field(name string) string {
	switch name {
	case "category_code":
		return "service_code"
	case "location":
		return "lat/long"
	case "contact_phone":
		return "phone"
	case "address":
		return "address_string"
	case "urgent":
		return "attribute[urgent]"
	}
	return name
}

type o311Error struct {
	XMLName     xml.Name `xml:"error" json:"-"`
	Code        int      `xml:"code" json:"code"`
	Description string   `xml:"description" json:"description"`
}

type o311Errors struct {
	XMLName xml.Name `xml:"errors"`
	Errors  []o311Error
}

func (o *open311) writeError(c *fiber.Ctx, f o311Format, status int, msg i18n.Text) error {
	lang := langOf(c)
	c.Set(fiber.HeaderContentLanguage, string(lang))
	e := o311Error{Code: status, Description: msg.In(lang)}
	return o311Write(c, f, status, o311Errors{Errors: []o311Error{e}}, []o311Error{e})
}

// o311Write sends asXML or asJSON with the specification's content types.
func o311Write(c *fiber.Ctx, f o311Format, status int, asXML, asJSON any) error {
	c.Status(status)
	if f == "xml" {
		b, err := xml.Marshal(asXML)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
		return c.Send(append([]byte(xml.Header), b...))
	}
	b, err := json.Marshal(asJSON)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b)
}

// o311Time is the specification's ISO 8601 form, in the province's zone.
func o311Time(t time.Time) string { return local(t).Format(time.RFC3339) }

// Discovery.

type o311Endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

type o311Discovery struct {
	XMLName        xml.Name       `xml:"discovery" json:"-"`
	Changeset      string         `xml:"changeset" json:"changeset"`
	Contact        string         `xml:"contact" json:"contact"`
	KeyService     string         `xml:"key_service" json:"key_service"`
	JurisdictionID string         `xml:"jurisdiction_id" json:"jurisdiction_id"`
	Endpoints      []o311Endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

func (o *open311) discovery(c *fiber.Ctx, f o311Format) error {
	d := o311Discovery{Changeset: open311Changeset, Contact: o.contact, JurisdictionID: o.jurisdiction,
		KeyService: i18n.T("Khóa API (api_key) do quản trị hệ thống cấp theo yêu cầu bằng văn bản",
			"API keys (api_key) are issued by the service's administrators on written request").In(localized(c)),
		Endpoints: []o311Endpoint{{Specification: open311Spec, URL: c.BaseURL() + "/open311/v2", Changeset: open311Changeset,
			Type: "production", Formats: []string{"text/xml", "application/json"}}}}
	return o311Write(c, f, http.StatusOK, d, d)
}

// Services: our categories that take reports (out-of-scope ones are not
// services here: nothing can be submitted to them).

type o311Service struct {
	XMLName     xml.Name `xml:"service" json:"-"`
	ServiceCode string   `xml:"service_code" json:"service_code"`
	ServiceName string   `xml:"service_name" json:"service_name"`
	Description string   `xml:"description" json:"description"`
	Metadata    bool     `xml:"metadata" json:"metadata"`
	Type        string   `xml:"type" json:"type"`
	Keywords    string   `xml:"keywords" json:"keywords"`
	Group       string   `xml:"group" json:"group"`
}

type o311Services struct {
	XMLName  xml.Name `xml:"services"`
	Services []o311Service
}

func services(ref *feedback.ReferenceService) func(c *fiber.Ctx, f o311Format) error {
	return func(c *fiber.Ctx, f o311Format) error {
		cats, err := ref.Categories(c.UserContext())
		if err != nil {
			return err
		}
		lang := localized(c)
		out := []o311Service{}
		for _, k := range cats {
			if k.OutOfScope {
				continue
			}
			// Every service has attributes: share_contact at least.
			out = append(out, o311Service{ServiceCode: k.Code, ServiceName: k.Name.In(lang), Description: k.Description.In(lang),
				Metadata: true, Type: "realtime", Group: i18n.T("Phản ánh hiện trường", "Field reports").In(lang)})
		}
		return o311Write(c, f, http.StatusOK, o311Services{Services: out}, out)
	}
}

type o311Value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

type o311Attribute struct {
	Variable            bool        `xml:"variable" json:"variable"`
	Code                string      `xml:"code" json:"code"`
	Datatype            string      `xml:"datatype" json:"datatype"`
	Required            bool        `xml:"required" json:"required"`
	DatatypeDescription string      `xml:"datatype_description" json:"datatype_description"`
	Order               int         `xml:"order" json:"order"`
	Description         string      `xml:"description" json:"description"`
	Values              []o311Value `xml:"values>value" json:"values"`
}

type o311Definition struct {
	XMLName     xml.Name        `xml:"service_definition" json:"-"`
	ServiceCode string          `xml:"service_code" json:"service_code"`
	Attributes  []o311Attribute `xml:"attributes>attribute" json:"attributes"`
}

// attributes are the extra questions a category asks, as POST
// attribute[code]=key.
func attributes(k feedback.Category, lang i18n.Lang) []o311Attribute {
	yesNo := func(yes, no i18n.Text) []o311Value {
		return []o311Value{{Key: "true", Name: yes.In(lang)}, {Key: "false", Name: no.In(lang)}}
	}
	out := []o311Attribute{{Variable: true, Code: "share_contact", Datatype: "singlevaluelist", Order: 1,
		Description: i18n.T("Cho phép cơ quan xử lý thấy số điện thoại liên hệ của bạn (mặc định: không; thông tin cá nhân được bảo mật theo Nghị định 13/2023/NĐ-CP)",
			"Let the handling agency see your contact phone (default: no; personal data is protected under Decree 13/2023/ND-CP)").In(lang),
		Values: yesNo(i18n.T("Đồng ý", "Yes"), i18n.T("Không", "No"))}}
	if k.UrgentCapable {
		out = append(out, o311Attribute{Variable: true, Code: "urgent", Datatype: "singlevaluelist", Order: 2,
			Description: i18n.T("Khẩn cấp: nguy hiểm đến người hoặc tài sản, chuyển thẳng lãnh đạo cơ quan",
				"Urgent: a danger to people or property, sent straight to the agency's leaders").In(lang),
			Values: yesNo(i18n.T("Khẩn cấp", "Urgent"), i18n.T("Không khẩn cấp", "Not urgent"))})
	}
	return out
}

func serviceDefinition(ref *feedback.ReferenceService) func(c *fiber.Ctx, f o311Format) error {
	return func(c *fiber.Ctx, f o311Format) error {
		code := strings.Clone(c.Params("service_code"))
		cats, err := ref.Categories(c.UserContext())
		if err != nil {
			return err
		}
		for _, k := range cats {
			if k.Code == code && !k.OutOfScope {
				d := o311Definition{ServiceCode: k.Code, Attributes: attributes(k, localized(c))}
				return o311Write(c, f, http.StatusOK, d, d)
			}
		}
		return apperr.NotFound(i18n.T("Không có dịch vụ (service_code) này", "no such service_code"))
	}
}

// Requests.

type o311Request struct {
	XMLName           xml.Name `xml:"request" json:"-"`
	ServiceRequestID  string   `xml:"service_request_id" json:"service_request_id"`
	Status            string   `xml:"status" json:"status"`
	StatusNotes       string   `xml:"status_notes" json:"status_notes"`
	ServiceName       string   `xml:"service_name" json:"service_name"`
	ServiceCode       string   `xml:"service_code" json:"service_code"`
	Description       string   `xml:"description" json:"description"`
	AgencyResponsible string   `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string   `xml:"service_notice" json:"service_notice"`
	RequestedDatetime string   `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   string   `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  string   `xml:"expected_datetime,omitempty" json:"expected_datetime,omitempty"`
	Address           string   `xml:"address" json:"address"`
	AddressID         string   `xml:"address_id" json:"address_id"`
	Zipcode           string   `xml:"zipcode" json:"zipcode"`
	Lat               *float64 `xml:"lat,omitempty" json:"lat,omitempty"`
	Long              *float64 `xml:"long,omitempty" json:"long,omitempty"`
	MediaURL          string   `xml:"media_url" json:"media_url"`
}

type o311Requests struct {
	XMLName  xml.Name `xml:"service_requests"`
	Requests []o311Request
}

// open311Status maps our statuses onto the specification's two: a report
// is open until the agency has answered it (resolved) or it is closed or
// rejected.
func open311Status(s feedback.Status) string {
	switch s {
	case feedback.StatusResolved, feedback.StatusClosed, feedback.StatusRejected:
		return "closed"
	}
	return "open"
}

// statusNotes says where the report is in our finer workflow.
var statusNotes = map[feedback.Status]i18n.Text{
	feedback.StatusSubmitted:  i18n.T("Đang chờ tiếp nhận và phân loại", "Awaiting review"),
	feedback.StatusDispatched: i18n.T("Đã chuyển cơ quan xử lý", "Sent to the handling agency"),
	feedback.StatusAccepted:   i18n.T("Cơ quan xử lý đã tiếp nhận", "Taken up by the handling agency"),
	feedback.StatusInProgress: i18n.T("Đang xử lý", "Being handled"),
	feedback.StatusResolved:   i18n.T("Đã có kết quả xử lý", "Answered"),
	feedback.StatusClosed:     i18n.T("Đã đóng", "Closed"),
	feedback.StatusRejected:   i18n.T("Không tiếp nhận (ngoài phạm vi, trùng lặp hoặc không hợp lệ)", "Not taken up (out of scope, a duplicate or not valid)"),
}

// toOpen311 shapes a report as the public may see it. A report the
// coordinator has not published yet (or rejected) shows only its status,
// service and times: its text and place have not been reviewed.
func toOpen311(c *fiber.Ctx, svc *feedback.ReportService, r *feedback.Report, n names, lang i18n.Lang) (o311Request, error) {
	notes := statusNotes[r.Status].In(lang)
	out := o311Request{ServiceRequestID: r.ID, Status: open311Status(r.Status), StatusNotes: notes,
		ServiceName: n.cats[r.CategoryCode].In(lang), ServiceCode: r.CategoryCode,
		ServiceNotice:     fmt.Sprintf(i18n.T("Mã theo dõi: %s", "Tracking code: %s").In(lang), r.TrackingCode),
		RequestedDatetime: o311Time(r.CreatedAt), UpdatedDatetime: o311Time(r.UpdatedAt)}
	if !r.IsPublic() {
		return out, nil
	}
	if r.Answer != "" {
		out.StatusNotes = notes + ": " + r.Answer
	}
	lat, lng := r.Location.Lat, r.Location.Lng
	out.Description, out.Address, out.Lat, out.Long = r.Description, r.Address, &lat, &lng
	out.AgencyResponsible = n.agencies[r.AgencyCode].In(lang)
	if r.IsOpen() {
		out.ExpectedDatetime = o311Time(r.Deadlines.ResolutionDue)
	}
	photos, err := svc.Photos(c.UserContext(), r.ID)
	if err != nil {
		return out, err
	}
	if len(photos) > 0 {
		out.MediaURL = c.BaseURL() + "/v1/media/" + photos[0].ID
	}
	return out, nil
}

func (o *open311) writeRequests(c *fiber.Ctx, f o311Format, svc *feedback.ReportService, ref *feedback.ReferenceService, list []*feedback.Report) error {
	n, err := loadNames(c.UserContext(), ref)
	if err != nil {
		return err
	}
	lang := localized(c)
	out := make([]o311Request, 0, len(list))
	for _, r := range list {
		item, err := toOpen311(c, svc, r, n, lang)
		if err != nil {
			return err
		}
		out = append(out, item)
	}
	return o311Write(c, f, http.StatusOK, o311Requests{Requests: out}, out)
}

func (o *open311) getRequest(svc *feedback.ReportService, ref *feedback.ReferenceService) func(c *fiber.Ctx, f o311Format) error {
	return func(c *fiber.Ctx, f o311Format) error {
		r, err := svc.PublicReport(c.UserContext(), strings.Clone(c.Params("id")))
		if err != nil {
			return err
		}
		return o.writeRequests(c, f, svc, ref, []*feedback.Report{r})
	}
}

// open311Window is the longest span start_date..end_date may cover, and
// the span searched when neither is given (the specification's 90 days).
const open311Window = 90 * 24 * time.Hour

// listRequests is GET requests: published reports, newest first, filtered
// as the specification says, paged with page (from 1) and page_size (at
// most 100): page × page_size stays within the specification's 1000.
func (o *open311) listRequests(svc *feedback.ReportService, ref *feedback.ReferenceService) func(c *fiber.Ctx, f o311Format) error {
	return func(c *fiber.Ctx, f o311Format) error {
		q := readQuery(c)
		idList := splitList(q.String("service_request_id", 2700))
		codes := splitList(q.String("service_code", 2000))
		statuses := splitList(q.String("status", 20))
		page, size := q.Int("page", 1, 1, 1000), q.Int("page_size", 50, 1, 100)
		start, end := o311Date(q, "start_date"), o311Date(q, "end_date")
		for _, s := range statuses {
			if s != "open" && s != "closed" {
				q.fail("status", "Chỉ nhận open, closed", "must be open, closed or both")
			}
		}
		if len(idList) > 100 {
			q.fail("service_request_id", "Tối đa 100 mã", "at most 100 IDs")
		}
		if page*size > 1000 {
			q.fail("page", "page × page_size tối đa 1000", "page × page_size must be at most 1000")
		}
		if err := q.Err(); err != nil {
			return err
		}
		if len(idList) > 0 { // the specification: other parameters are then ignored
			list := make([]*feedback.Report, 0, len(idList))
			for _, id := range idList {
				r, err := svc.PublicReport(c.UserContext(), id)
				if apperr.CodeOf(err) == apperr.ENOTFOUND {
					continue
				}
				if err != nil {
					return err
				}
				list = append(list, r)
			}
			return o.writeRequests(c, f, svc, ref, list)
		}
		now := svc.Now()
		switch {
		case start == nil && end == nil:
			e := now
			s := e.Add(-open311Window)
			start, end = &s, &e
		case start == nil:
			s := end.Add(-open311Window)
			start = &s
		case end == nil:
			e := start.Add(open311Window)
			end = &e
		}
		if end.Before(*start) || end.Sub(*start) > open311Window {
			return apperr.Invalid(i18n.T("Khoảng thời gian không hợp lệ", "invalid date range"),
				apperr.FieldError{Field: "end_date", Message: i18n.T("Phải sau start_date và không quá 90 ngày", "must follow start_date by at most 90 days")})
		}
		want := map[string]bool{}
		for _, s := range statuses {
			want[s] = true
		}
		in := feedback.FeedInput{Since: start, Limit: 100}
		if len(want) == 1 { // one of open, closed: let the store filter
			for _, st := range feedback.PublicStatuses {
				if want[open311Status(st)] {
					in.Statuses = append(in.Statuses, st)
				}
			}
		}
		if len(codes) == 1 {
			in.CategoryCode = codes[0]
		}
		skip := (page - 1) * size
		var list []*feedback.Report
	scan:
		for {
			batch, next, err := svc.Feed(c.UserContext(), in)
			if err != nil {
				return err
			}
			for i := range batch {
				r := &batch[i]
				if r.CreatedAt.After(*end) || (len(want) > 0 && !want[open311Status(r.Status)]) || (len(codes) > 1 && !contains(codes, r.CategoryCode)) {
					continue
				}
				if skip > 0 {
					skip--
					continue
				}
				list = append(list, r)
				if len(list) == size {
					break scan
				}
			}
			if next == "" {
				break
			}
			in.Cursor = next
		}
		return o.writeRequests(c, f, svc, ref, list)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// splitList splits a comma-separated parameter, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// o311Date reads an ISO 8601 date-time with its zone (Z or ±hh:mm), as the
// specification requires.
func o311Date(q *queryParams, name string) *time.Time {
	v := q.String(name, 40)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		q.fail(name, "Cần ngày giờ ISO 8601 có múi giờ, ví dụ 2026-12-01T00:00:00+07:00", "must be an ISO 8601 date-time with a zone, e.g. 2026-12-01T00:00:00+07:00")
		return nil
	}
	return &t
}

// POST requests.

type o311Created struct {
	XMLName          xml.Name `xml:"request" json:"-"`
	ServiceRequestID string   `xml:"service_request_id" json:"service_request_id"`
	Token            string   `xml:"token" json:"token"`
	ServiceNotice    string   `xml:"service_notice" json:"service_notice"`
	AccountID        string   `xml:"account_id" json:"account_id"`
}

type o311CreatedList struct {
	XMLName  xml.Name `xml:"service_requests"`
	Requests []o311Created
}

// poster names who may post: an API client with open311:write (its key in
// X-Api-Key, checked by authenticateClient, or in api_key), or the holder
// of a deprecated CAMAUG_OPEN311_API_KEYS key. The name keys the guest
// account the reports are filed under, so a client's stays the same when
// its key is rotated.
func (o *open311) poster(c *fiber.Ctx) (string, error) {
	refused := apperr.New(apperr.EFORBIDDEN, i18n.T("api_key không hợp lệ", "invalid api_key"))
	if cl := apiClient(c); cl != nil {
		return "client:" + cl.ID, nil
	}
	key := form(c, "api_key")
	if _, _, ok := apiclient.ParseKey(key); ok && o.clients != nil {
		cl, err := o.clients.Authenticate(c.UserContext(), key)
		if err != nil || !cl.Has(apiclient.ScopeOpen311Write) {
			return "", refused
		}
		if err := o.limits.Limit(c.UserContext(), "client:"+cl.ID, cl.RateLimit, time.Minute); err != nil {
			return "", err
		}
		o.log.Info("api client call", "client_id", cl.ID, "method", c.Method(), "path", c.Path(), "request_id", requestID(c))
		return "client:" + cl.ID, nil
	}
	if hash, ok := o.apiKey(key); ok {
		return hash, nil
	}
	return "", refused
}

// apiKey returns the hash of a configured key equal to key.
func (o *open311) apiKey(key string) (string, bool) {
	sum := sha256.Sum256([]byte(key))
	found := false
	for _, h := range o.keyHashes {
		if subtle.ConstantTimeCompare(sum[:], h[:]) == 1 {
			found = true
		}
	}
	return hex.EncodeToString(sum[:]), found && key != ""
}

// form returns a POST parameter (urlencoded or multipart; the query string
// too, as many clients send api_key there), copied.
func form(c *fiber.Ctx, name string) string { return strings.Clone(c.FormValue(name)) }

// createRequest is POST requests: a report submitted through a machine
// client holding an api_key, as a guest of that client (one per device_id),
// anonymous to the agencies unless attribute[share_contact]=true.
func (o *open311) createRequest(svc *feedback.ReportService, ids *identity.Service, lim Limits) func(c *fiber.Ctx, f o311Format) error {
	return func(c *fiber.Ctx, f o311Format) error {
		keyHash, err := o.poster(c)
		if err != nil {
			return err
		}
		// The same door as POST /v1/auth/guest: each call signs in a guest.
		if err := ids.Limit(c.UserContext(), "guest:"+ClientAddr(c), lim.GuestsPerAddress, lim.AddressWindow); err != nil {
			return err
		}
		var fs []apperr.FieldError
		bad := func(field, vi, en string) { fs = append(fs, apperr.FieldError{Field: field, Message: i18n.T(vi, en)}) }
		num := func(name string) *float64 {
			v := strings.TrimSpace(form(c, name))
			if v == "" {
				return nil
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				bad(name, "Phải là số thập phân", "must be a decimal number")
				return nil
			}
			return &x
		}
		in := feedback.SubmitInput{CategoryCode: form(c, "service_code"), Description: form(c, "description"),
			Address: form(c, "address_string"), ContactPhone: form(c, "phone"), Locale: string(langOf(c))}
		lat, lng := num("lat"), num("long")
		switch {
		case lat != nil && lng != nil:
			in.Location = &feedback.Point{Lat: *lat, Lng: *lng}
		case lat == nil && lng == nil && (in.Address != "" || form(c, "address_id") != ""):
			bad("lat", "Cần tọa độ lat và long: hệ thống chưa định vị được theo địa chỉ", "lat and long are required: this endpoint cannot locate an address")
		}
		if email := form(c, "email"); email != "" {
			if _, ok := identity.NormalizeEmail(email); !ok {
				bad("email", "Email không hợp lệ", "is not a valid email address")
			}
		}
		if m := form(c, "media_url"); m != "" {
			u, err := url.Parse(m)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(m) > 1000 {
				bad("media_url", "Phải là địa chỉ http(s), tối đa 1000 ký tự", "must be an http(s) URL of at most 1000 characters")
			} else {
				// We do not fetch other servers' files: the link goes with
				// the text, for the agency to open.
				in.Description = strings.TrimSpace(in.Description) + "\n\n" + i18n.T("Ảnh", "Photo").In(langOf(c)) + ": " + m
			}
		}
		device := form(c, "device_id")
		if utf8.RuneCountInString(device) > 200 {
			bad("device_id", "Tối đa 200 ký tự", "must be at most 200 characters")
		}
		yes := func(name string) *bool {
			switch v := strings.ToLower(form(c, "attribute["+name+"]")); v {
			case "true", "false":
				b := v == "true"
				return &b
			case "":
			default:
				bad("attribute["+name+"]", "Chỉ nhận true hoặc false", "must be true or false")
			}
			return nil
		}
		anonymous := true // the agencies see no contact unless the reporter agrees
		if share := yes("share_contact"); share != nil {
			anonymous = !*share
		}
		in.Anonymous = &anonymous
		if urgent := yes("urgent"); urgent != nil {
			in.Urgent = *urgent
		}
		if len(fs) > 0 {
			return apperr.Invalid(i18n.T("Yêu cầu chưa hợp lệ", "the request is not valid"), fs...)
		}
		u, err := ids.ClientGuest(c.UserContext(), "open311 "+keyHash, device)
		if err != nil {
			return err
		}
		key := c.Get("Idempotency-Key")
		if key != "" && !idempotencyKey.MatchString(key) {
			return invalidQuery("Idempotency-Key", "Khóa phải gồm 1–255 ký tự ASCII in được", "must be 1–255 printable ASCII characters")
		}
		r, _, err := svc.Submit(c.UserContext(), identity.Principal{UserID: u.ID, Role: identity.RoleGuest}, in, strings.Clone(key))
		if err != nil {
			return err
		}
		out := o311Created{ServiceRequestID: r.ID, Token: r.ID,
			ServiceNotice: fmt.Sprintf(i18n.T("Mã theo dõi: %s", "Tracking code: %s").In(langOf(c)), r.TrackingCode)}
		return o311Write(c, f, http.StatusCreated, o311CreatedList{Requests: []o311Created{out}}, []o311Created{out})
	}
}

// Tokens: every service is realtime, so the token a POST returns is the
// request's ID itself; GET tokens/{token} still answers as the
// specification says, for clients that always ask.

type o311Token struct {
	XMLName          xml.Name `xml:"request" json:"-"`
	ServiceRequestID string   `xml:"service_request_id" json:"service_request_id"`
	Token            string   `xml:"token" json:"token"`
}

type o311Tokens struct {
	XMLName  xml.Name `xml:"service_requests"`
	Requests []o311Token
}

func token(svc *feedback.ReportService) func(c *fiber.Ctx, f o311Format) error {
	return func(c *fiber.Ctx, f o311Format) error {
		r, err := svc.PublicReport(c.UserContext(), strings.Clone(c.Params("token")))
		if err != nil {
			return err
		}
		out := []o311Token{{ServiceRequestID: r.ID, Token: r.ID}}
		return o311Write(c, f, http.StatusOK, o311Tokens{Requests: out}, out)
	}
}
