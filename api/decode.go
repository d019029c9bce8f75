package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/gofiber/fiber/v2"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// validate checks request structs by their `validate` tags; errors name
// fields by their JSON names.
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

func malformed(vi, en string, fields ...apperr.FieldError) error {
	e := apperr.New(apperr.EMALFORMED, i18n.T(vi, en))
	e.Fields = fields
	return e
}

// maxJSONBody is a last guard: limitBodies (bodylimit.go) has already cut
// every body at the route's limit (256 KiB by default) before decoding.
const maxJSONBody = 1 << 20

// decodeJSON reads the body into dst strictly: JSON only, one object,
// unknown fields and wrong types refused (so no operator object can slip
// into a string), then checks the struct's validate tags. Bad JSON gives
// 400; a rule broken gives 422 listing every bad field.
func decodeJSON(c *fiber.Ctx, dst any) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return fiber.NewError(fiber.StatusUnsupportedMediaType)
	}
	body := c.Body()
	if len(body) > maxJSONBody {
		return fiber.ErrRequestEntityTooLarge
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return malformed("Thiếu nội dung JSON", "the request body is empty; a JSON object is expected")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return malformed("Chỉ gửi một đối tượng JSON", "unexpected data after the JSON object")
	}
	return check(dst)
}

func jsonError(err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		return malformed(fmt.Sprintf("JSON sai cú pháp tại vị trí %d", se.Offset), fmt.Sprintf("malformed JSON at byte %d", se.Offset))
	case errors.As(err, &te):
		f := te.Field
		if f == "" {
			return malformed("Nội dung phải là một đối tượng JSON", "the body must be a JSON object")
		}
		return malformed("Sai kiểu dữ liệu", "a field has the wrong type",
			apperr.FieldError{Field: f, Message: i18n.T("Phải là "+jsonType(te.Type).Vi, "must be "+jsonType(te.Type).En)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return malformed("Có trường không được hỗ trợ", "the body has an unknown field",
			apperr.FieldError{Field: f, Message: i18n.T("Trường không được hỗ trợ", "is not a known field")})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("JSON bị cắt cụt", "the JSON ends too early")
	}
	return malformed("JSON không hợp lệ", "malformed JSON")
}

// jsonType names the JSON type a Go type expects, in both languages.
func jsonType(t reflect.Type) i18n.Text {
	switch t.Kind() {
	case reflect.String:
		return i18n.T("chuỗi ký tự", "a string")
	case reflect.Bool:
		return i18n.T("true hoặc false", "true or false")
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32:
		return i18n.T("số", "a number")
	case reflect.Slice:
		return i18n.T("mảng", "an array")
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return i18n.T("đối tượng", "an object")
}

// check runs the validate tags and lists every broken rule.
func check(v any) error {
	err := validate.Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := make([]apperr.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		ns := fe.Namespace()
		if _, rest, ok := strings.Cut(ns, "."); ok {
			ns = rest
		}
		fields = append(fields, apperr.FieldError{Field: ns, Message: ruleMessage(fe)})
	}
	return apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fields...)
}

func ruleMessage(fe validator.FieldError) i18n.Text {
	p := fe.Param()
	isString := fe.Kind() == reflect.String
	switch fe.Tag() {
	case "required":
		return i18n.T("Bắt buộc nhập", "is required")
	case "email":
		return i18n.T("Email không hợp lệ", "must be an email address")
	case "oneof":
		return i18n.T("Phải là một trong: "+p, "must be one of: "+p)
	case "min", "gte":
		if isString {
			return i18n.T("Tối thiểu "+p+" ký tự", "must be at least "+p+" characters")
		}
		return i18n.T("Tối thiểu là "+p, "must be at least "+p)
	case "max", "lte":
		if isString {
			return i18n.T("Tối đa "+p+" ký tự", "must be at most "+p+" characters")
		}
		return i18n.T("Tối đa là "+p, "must be at most "+p)
	}
	return i18n.T("Không hợp lệ ("+fe.Tag()+")", "breaks the rule "+fe.Tag())
}

// invalidQuery reports a bad query or path parameter.
func invalidQuery(field, vi, en string) error {
	return apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"), apperr.FieldError{Field: field, Message: i18n.T(vi, en)})
}

// alsoInvalid adds the domain's own findings to a 422 from the validate
// tags, so one answer lists every bad field (a field the tags already
// named keeps their message). Any other error is returned as it is.
func alsoInvalid(err error, domain []apperr.FieldError) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.EINVALID {
		return err
	}
	named := map[string]bool{}
	for _, f := range ae.Fields {
		named[f.Field] = true
	}
	for _, f := range domain {
		if !named[f.Field] {
			ae.Fields = append(ae.Fields, f)
			named[f.Field] = true
		}
	}
	return ae
}

// fieldsOf is the bad fields an EINVALID error lists (none for any other
// error), to pass a domain check's findings to alsoInvalid.
func fieldsOf(err error) []apperr.FieldError {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.EINVALID {
		return nil
	}
	return ae.Fields
}
