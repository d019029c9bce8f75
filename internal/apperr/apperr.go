// Package apperr is the one error type of the service: a code the API maps to
// an HTTP status, a message that is safe to show (in both languages), the
// fields that failed validation, and the internal cause, which never leaves
// the server.
package apperr

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"camaug/internal/i18n"
)

// Code classifies an error.
type Code string

// The error codes. The API maps each to one HTTP status.
const (
	EMALFORMED    Code = "EMALFORMED"    // the request cannot be read (bad JSON, wrong types)
	EINVALID      Code = "EINVALID"      // the input breaks a rule
	ETOOLARGE     Code = "ETOOLARGE"     // the request is over a size limit
	ENOTFOUND     Code = "ENOTFOUND"     // the object does not exist (or the caller may not know it does)
	ECONFLICT     Code = "ECONFLICT"     // duplicate, stale version, illegal state change
	EUNAUTHORIZED Code = "EUNAUTHORIZED" // who is calling is unknown
	EFORBIDDEN    Code = "EFORBIDDEN"    // the caller may not do this
	ETOOMANY      Code = "ETOOMANY"      // rate limited
	EUNAVAILABLE  Code = "EUNAVAILABLE"  // a dependency (the store) is unreachable
	EINTERNAL     Code = "EINTERNAL"     // a bug or an unexpected failure
)

// FieldError names one bad field and says what is wrong with it.
type FieldError struct {
	Field   string
	Message i18n.Text
}

// Error is the service's error. Message and Fields are safe to show to a
// client; Err is the internal cause and is only logged.
type Error struct {
	Code    Code
	Message i18n.Text
	Fields  []FieldError
	Err     error
	// RetryAfter, for ETOOMANY and EUNAVAILABLE, says when to try again.
	RetryAfter time.Duration
	// Kind, when set, narrows Code (see ConflictOf).
	Kind Kind
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if m := e.Message.In(i18n.EN); m != "" {
		b.WriteString(": ")
		b.WriteString(m)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message.In(i18n.EN))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, apperr.ErrNotFound) true for every error with the
// same code, whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message.IsZero() && t.Fields == nil && t.Err == nil && t.RetryAfter == 0 && t.Kind == "" && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrInvalid      = &Error{Code: EINVALID}
	ErrNotFound     = &Error{Code: ENOTFOUND}
	ErrConflict     = &Error{Code: ECONFLICT}
	ErrUnauthorized = &Error{Code: EUNAUTHORIZED}
	ErrForbidden    = &Error{Code: EFORBIDDEN}
	ErrTooMany      = &Error{Code: ETOOMANY}
	ErrUnavailable  = &Error{Code: EUNAVAILABLE}
)

// New returns an error with a code and a safe message.
func New(code Code, msg i18n.Text) *Error { return &Error{Code: code, Message: msg} }

// NotFound returns an ENOTFOUND error.
func NotFound(msg i18n.Text) *Error { return New(ENOTFOUND, msg) }

// Conflict returns an ECONFLICT error.
func Conflict(msg i18n.Text) *Error { return New(ECONFLICT, msg) }

// Kind tells apart the errors of one code that a client handles
// differently; the API gives each its own problem type. Only ECONFLICT has
// kinds so far.
type Kind string

// The kinds of ECONFLICT.
const (
	KindExists         Kind = "already-exists"         // the ID, code, login or key is taken
	KindConcurrent     Kind = "concurrent-change"      // someone changed it meanwhile: re-read, then retry
	KindState          Kind = "wrong-state"            // not possible in the object's current state
	KindUsed           Kind = "already-used"           // a single-use token or invitation was spent
	KindLimit          Kind = "limit-reached"          // a count or time limit on the object is reached
	KindIdempotencyKey Kind = "idempotency-key-reused" // the Idempotency-Key was used with another request
)

// ConflictOf returns an ECONFLICT error of the kind.
func ConflictOf(kind Kind, msg i18n.Text) *Error {
	e := New(ECONFLICT, msg)
	e.Kind = kind
	return e
}

// Invalid returns an EINVALID error listing the bad fields.
func Invalid(msg i18n.Text, fields ...FieldError) *Error {
	return &Error{Code: EINVALID, Message: msg, Fields: fields}
}

// Unavailable wraps a failure to reach a dependency.
func Unavailable(err error) *Error {
	return &Error{Code: EUNAVAILABLE, Message: i18n.T("Dịch vụ tạm thời không sẵn sàng", "The service is temporarily unavailable"), Err: err}
}

// Internal wraps an unexpected failure; its text never reaches a client.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Err: err}
}

// CodeOf returns the code of err, EINTERNAL for errors that are not *Error
// and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// InternalOrNil wraps a non-nil error as EINTERNAL and passes nil through.
func InternalOrNil(err error) error {
	if err == nil {
		return nil
	}
	return Internal(err)
}
