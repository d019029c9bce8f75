package api

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// problem is an RFC 9457 problem details object.
type problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []fieldProblem `json:"errors,omitempty"`
}

type fieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type problemKind struct {
	status int
	slug   string
	title  i18n.Text
}

// The one place where error codes become HTTP statuses.
var byCode = map[apperr.Code]problemKind{
	apperr.EMALFORMED:    {http.StatusBadRequest, "bad-request", i18n.T("Yêu cầu không hợp lệ", "Bad request")},
	apperr.EINVALID:      {http.StatusUnprocessableEntity, "invalid", i18n.T("Dữ liệu không hợp lệ", "Invalid input")},
	apperr.ETOOLARGE:     {http.StatusRequestEntityTooLarge, "too-large", i18n.T("Dữ liệu gửi lên quá lớn", "Request body too large")},
	apperr.ENOTFOUND:     {http.StatusNotFound, "not-found", i18n.T("Không tìm thấy", "Not found")},
	apperr.ECONFLICT:     {http.StatusConflict, "conflict", i18n.T("Xung đột dữ liệu", "Conflict")},
	apperr.EUNAUTHORIZED: {http.StatusUnauthorized, "unauthorized", i18n.T("Chưa xác thực", "Unauthorized")},
	apperr.EFORBIDDEN:    {http.StatusForbidden, "forbidden", i18n.T("Không có quyền", "Forbidden")},
	apperr.ETOOMANY:      {http.StatusTooManyRequests, "too-many-requests", i18n.T("Quá nhiều yêu cầu", "Too many requests")},
	apperr.EUNAVAILABLE:  {http.StatusServiceUnavailable, "unavailable", i18n.T("Dịch vụ tạm thời không sẵn sàng", "Service unavailable")},
	apperr.EINTERNAL:     {http.StatusInternalServerError, "internal", i18n.T("Lỗi hệ thống", "Internal error")},
}

// byKind gives each kind of an error code its own problem type (same
// status as its code), so a client can tell "taken" from "changed
// meanwhile" without reading the text.
var byKind = map[apperr.Kind]problemKind{
	apperr.KindExists:         {http.StatusConflict, "already-exists", i18n.T("Đã tồn tại", "Already exists")},
	apperr.KindConcurrent:     {http.StatusConflict, "concurrent-change", i18n.T("Dữ liệu vừa được thay đổi", "Changed meanwhile")},
	apperr.KindState:          {http.StatusConflict, "wrong-state", i18n.T("Không thực hiện được ở trạng thái hiện tại", "Not possible in the current state")},
	apperr.KindUsed:           {http.StatusConflict, "already-used", i18n.T("Đã được dùng", "Already used")},
	apperr.KindLimit:          {http.StatusConflict, "limit-reached", i18n.T("Đã đến giới hạn", "Limit reached")},
	apperr.KindIdempotencyKey: {http.StatusConflict, "idempotency-key-reused", i18n.T("Idempotency-Key đã dùng cho yêu cầu khác", "Idempotency-Key reused")},
}

// ProblemTypes lists every problem "type" the API can answer with, sorted:
// mobile-api-docs/openapi.yaml documents each (a test checks both ways).
// Open311 answers in its own error format, not with these.
func ProblemTypes() []string {
	set := map[string]bool{
		ProblemTypePrefix + "too-many-connections": true, // connlimit.go
		ProblemTypePrefix + httpErrorSlug:          true,
	}
	for _, table := range []map[apperr.Code]problemKind{byCode} {
		for _, k := range table {
			set[ProblemTypePrefix+k.slug] = true
		}
	}
	for _, k := range byKind {
		set[ProblemTypePrefix+k.slug] = true
	}
	for _, k := range byStatus {
		set[ProblemTypePrefix+k.slug] = true
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// StatusOf is the HTTP status of a domain error, from the table above, for
// the console's pages as for the API (500 for an error without a code).
func StatusOf(err error) int {
	if k, ok := byCode[apperr.CodeOf(err)]; ok {
		return k.status
	}
	return http.StatusInternalServerError
}

// Errors raised by Fiber itself (no route, wrong method, body too large...).
var byStatus = map[int]problemKind{
	http.StatusBadRequest:                  {http.StatusBadRequest, "bad-request", i18n.T("Yêu cầu không hợp lệ", "Bad request")},
	http.StatusNotFound:                    {http.StatusNotFound, "not-found", i18n.T("Không tìm thấy", "Not found")},
	http.StatusMethodNotAllowed:            {http.StatusMethodNotAllowed, "method-not-allowed", i18n.T("Phương thức không được hỗ trợ", "Method not allowed")},
	http.StatusRequestEntityTooLarge:       {http.StatusRequestEntityTooLarge, "too-large", i18n.T("Dữ liệu gửi lên quá lớn", "Request body too large")},
	http.StatusUnsupportedMediaType:        {http.StatusUnsupportedMediaType, "unsupported-media-type", i18n.T("Định dạng không được hỗ trợ", "Unsupported media type")},
	http.StatusRequestHeaderFieldsTooLarge: {http.StatusRequestHeaderFieldsTooLarge, "headers-too-large", i18n.T("Tiêu đề yêu cầu quá lớn", "Request headers too large")},
	http.StatusRequestTimeout:              {http.StatusRequestTimeout, "timeout", i18n.T("Hết thời gian chờ yêu cầu", "Request timeout")},
	http.StatusTooManyRequests:             {http.StatusTooManyRequests, "too-many-requests", i18n.T("Quá nhiều yêu cầu", "Too many requests")},
	http.StatusServiceUnavailable:          {http.StatusServiceUnavailable, "unavailable", i18n.T("Dịch vụ tạm thời không sẵn sàng", "Service unavailable")},
}

var fiberDetail = map[int]i18n.Text{
	http.StatusNotFound:              i18n.T("Không có tài nguyên nào ở đường dẫn này", "There is no resource at this path"),
	http.StatusMethodNotAllowed:      i18n.T("Đường dẫn này không hỗ trợ phương thức đã dùng", "This path does not support the method used"),
	http.StatusRequestEntityTooLarge: i18n.T("Dữ liệu gửi lên vượt quá giới hạn cho phép", "The request body is over the allowed size"),
	http.StatusRequestTimeout:        i18n.T("Yêu cầu đến quá chậm và đã bị ngắt; hãy thử lại", "The request came too slowly and was cut; try again"),
}

const httpErrorSlug = "http-error"

// ProblemTypePrefix starts every problem "type" URI.
const ProblemTypePrefix = "urn:camaug:problem:"

// errorHandler is the app's only error writer: every error a handler or
// middleware returns, and every error Fiber raises, becomes problem+json.
func errorHandler(log *slog.Logger, routes *routeTable) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		lang := langOf(c)
		p := problem{Instance: c.Path(), RequestID: requestID(c)}
		if p.RequestID == "" { // fasthttp refused the request before any middleware ran
			p.RequestID = newRequestID()
			c.Set(headerRequestID, p.RequestID)
		}
		var (
			ae *apperr.Error
			fe *fiber.Error
		)
		switch {
		case errors.As(err, &ae):
			kind := byCode[ae.Code]
			if k, ok := byKind[ae.Kind]; ok && k.status == kind.status {
				kind = k
			}
			if kind.status == 0 {
				kind = byCode[apperr.EINTERNAL]
			}
			p.Type, p.Title, p.Status = ProblemTypePrefix+kind.slug, kind.title.In(lang), kind.status
			if slug := problemSlug(err); slug != "" {
				p.Type = ProblemTypePrefix + slug
			}
			if ae.Code != apperr.EINTERNAL {
				p.Detail = ae.Message.In(lang)
			}
			if ae.RetryAfter > 0 {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
			}
			if ae.Code == apperr.EUNAUTHORIZED {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="camaug"`)
			}
			for _, f := range ae.Fields {
				p.Errors = append(p.Errors, fieldProblem{Field: f.Field, Message: f.Message.In(lang)})
			}
		case errors.As(err, &fe):
			kind, ok := byStatus[fe.Code]
			if !ok {
				// A status Fiber raises that the table lacks: one documented
				// type for them all, the status says which.
				kind = problemKind{fe.Code, httpErrorSlug, i18n.T(http.StatusText(fe.Code), http.StatusText(fe.Code))}
			}
			p.Type, p.Title, p.Status = ProblemTypePrefix+kind.slug, kind.title.In(lang), kind.status
			p.Detail = fiberDetail[fe.Code].In(lang)
			if fe.Code == http.StatusMethodNotAllowed {
				c.Set(fiber.HeaderAllow, strings.Join(routes.allowed(c.Path()), ", "))
			}
		default:
			kind := byCode[apperr.EINTERNAL]
			p.Type, p.Title, p.Status = ProblemTypePrefix+kind.slug, kind.title.In(lang), kind.status
		}
		if p.Status >= 500 {
			log.Error("request failed", "request_id", p.RequestID, "method", c.Method(), "path", c.Path(), "status", p.Status, "error", err.Error())
		}
		if p.Status == http.StatusServiceUnavailable && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
			c.Set(fiber.HeaderRetryAfter, "5")
		}
		c.Set(fiber.HeaderContentLanguage, string(lang))
		c.Status(p.Status)
		return c.JSON(p, "application/problem+json")
	}
}
