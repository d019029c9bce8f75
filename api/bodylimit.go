package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/sync/semaphore"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
)

// How request bodies are read (issue 12, item 2). fasthttp would otherwise
// buffer each body whole, up to the app's largest limit, before any handler
// runs: a client declaring a large Content-Length and sending it slowly held
// that buffer for as long as it liked. Instead:
//
//   - the app streams bodies (StreamRequestBody): fasthttp reads the headers
//     and at most 8 KiB of body, and leaves the rest on the connection;
//   - a declared Content-Length over the route's limit is refused with 413
//     before a byte of body is read: headerReceived, which fasthttp calls
//     between the headers and the body, marks the request and sets its
//     length to 0 so fasthttp reads none of it, and limitBodies answers 413
//     and closes the connection (the body still on it is never read);
//   - limitBodies, the first middleware that looks at a body, knows each
//     route's limit. Otherwise the body is read here, through
//     a limit (a chunked body is cut at the limit with 413), into memory
//     reserved from one budget shared by all requests (bodyMemory), so the
//     memory held by bodies is bounded whatever clients do: at most the
//     budget, plus the 8 KiB prefetch and buffers per connection, and
//     connections are capped by LimitListener;
//   - the photo upload alone is not buffered: its handler streams the
//     multipart body to a temporary file (uploadPhoto);
//   - the connection's read deadline (ReadTimeout, from the first byte of
//     the request's headers) bounds a slow body: reading it fails, the client
//     gets 408 and the connection is closed. The upload has a longer one;
//   - after a refused body the connection is closed, so what is left of the
//     body is never read as a next request.

// DefaultJSONBodyLimit caps the body of every route but the photo upload:
// JSON, and the console's form posts.
const DefaultJSONBodyLimit = 256 << 10

// DefaultUploadBodyLimit caps the photo upload: a 10 MiB photo plus the
// multipart framing.
const DefaultUploadBodyLimit = 10<<20 + 64<<10

// DefaultBodyMemory is what all buffered request bodies may hold at once.
const DefaultBodyMemory = 64 << 20

// Default read timeouts: from the first byte of a request to the last of its
// body; the photo upload gets longer, for a phone on a slow network.
const (
	DefaultReadTimeout       = 20 * time.Second
	DefaultUploadReadTimeout = 2 * time.Minute
)

// uploadRoute is the one route whose body is streamed to disk.
const uploadRoute = "/v1/reports/:id/media"

// isUpload matches the way the router does: case-insensitive, with or
// without a trailing slash.
func isUpload(method, path string) bool {
	return method == fiber.MethodPost && matchPattern(uploadRoute, strings.ToLower(path))
}

// bodyLimits are the body rules of one app.
type bodyLimits struct {
	json, upload int
	memory       *semaphore.Weighted
}

var (
	msgTooLarge = i18n.T("Dữ liệu gửi lên vượt quá giới hạn cho phép", "The request body is over the allowed size")
	msgSlowBody = i18n.T("Gửi dữ liệu quá chậm; hãy thử lại", "The request body came too slowly; try again")
	msgBodyBusy = i18n.T("Máy chủ đang bận nhận dữ liệu; hãy thử lại sau giây lát", "The server is busy receiving data; try again in a moment")
	msgEncoding = i18n.T("Không hỗ trợ nén dữ liệu gửi lên (Content-Encoding)", "Compressed request bodies (Content-Encoding) are not supported")
)

func tooLarge(limit int) error {
	e := apperr.New(apperr.ETOOLARGE, msgTooLarge)
	e.Err = errors.New("body over " + strconv.Itoa(limit) + " bytes")
	return e
}

// limitBodies applies the route's body limit, reads a buffered route's body
// from the stream into budgeted memory, and leaves the upload's stream to
// its handler.
func limitBodies(l bodyLimits) fiber.Handler {
	return func(c *fiber.Ctx) error {
		req := c.Request()
		if len(req.Header.Peek(headerOverLimit)) > 0 {
			c.Context().SetConnectionClose()
			return tooLarge(l.json)
		}
		if !req.IsBodyStream() {
			return c.Next()
		}
		// Any encoding would have to be undone into memory (a small gzip
		// inflates to gigabytes), and no client of ours compresses.
		if ce := req.Header.Peek(fiber.HeaderContentEncoding); len(ce) > 0 && !bytes.EqualFold(ce, []byte("identity")) {
			c.Context().SetConnectionClose()
			return &apperr.Error{Code: apperr.EMALFORMED, Message: msgEncoding}
		}
		upload := isUpload(c.Method(), c.Path())
		limit := l.json
		if upload {
			limit = l.upload
		}
		declared := req.Header.ContentLength() // -1 when chunked
		if declared > limit {
			c.Context().SetConnectionClose()
			return tooLarge(limit)
		}
		if upload {
			// The handler may stop before the end (a refused photo): never
			// read the rest as another request.
			c.Context().SetConnectionClose()
			c.Locals(localBodyLimit, limit)
			return c.Next()
		}
		reserve := limit
		if declared >= 0 {
			reserve = declared
		}
		wait, cancel := context.WithTimeout(c.UserContext(), time.Second)
		err := l.memory.Acquire(wait, int64(reserve))
		cancel()
		if err != nil {
			c.Context().SetConnectionClose()
			e := apperr.New(apperr.EUNAVAILABLE, msgBodyBusy)
			e.RetryAfter = 2 * time.Second
			return e
		}
		defer l.memory.Release(int64(reserve))
		body, err := readLimited(req.BodyStream(), reserve, limit)
		if err != nil {
			c.Context().SetConnectionClose()
			return err
		}
		req.SetBodyRaw(body)
		return c.Next()
	}
}

// readLimited reads a whole body of at most limit bytes; size is the
// expected size (the declared length, or the limit when chunked).
func readLimited(r io.Reader, size, limit int) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(size, 64<<10)+1))
	n, err := buf.ReadFrom(io.LimitReader(r, int64(limit)+1))
	switch {
	case err != nil:
		return nil, bodyReadError(err)
	case n > int64(limit):
		return nil, tooLarge(limit)
	}
	return buf.Bytes(), nil
}

// bodyReadError is 408 when the read deadline cut a slow body, 400 when
// the body is broken (bad chunking, early end).
func bodyReadError(err error) error {
	var ne net.Error
	if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &fiber.Error{Code: fiber.StatusRequestTimeout, Message: msgSlowBody.In(i18n.EN)}
	}
	return &apperr.Error{Code: apperr.EMALFORMED, Message: i18n.T("Không đọc được dữ liệu gửi lên", "The request body cannot be read"), Err: err}
}

const localBodyLimit = "body_limit"

// uploadBody is the photo upload's body stream, cut at its limit: reading
// past it fails with errBodyOverLimit.
func uploadBody(c *fiber.Ctx) io.Reader {
	limit, _ := c.Locals(localBodyLimit).(int)
	if limit == 0 {
		limit = DefaultUploadBodyLimit
	}
	r := c.Request().BodyStream()
	if r == nil { // app.Test without a body, or a body already read
		r = bytes.NewReader(c.Body())
	}
	return &limitedBody{r: r, left: int64(limit)}
}

var errBodyOverLimit = errors.New("request body over the limit")

type limitedBody struct {
	r    io.Reader
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body at the limit from one over it.
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			return 0, errBodyOverLimit
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// headerOverLimit marks a request whose declared body is over its route's
// limit. Only headerReceived sets it: it first deletes any a client sent.
const headerOverLimit = "X-Camaug-Body-Over-Limit"

// headerReceived runs as soon as a request's headers are read, before
// fasthttp reads any body: it marks a declared body over the route's limit
// (and makes fasthttp read none of it), and gives the photo upload its
// longer read deadline.
func headerReceived(l bodyLimits, uploadTimeout time.Duration) func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
	return func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		h.Del(headerOverLimit)
		path, _, _ := bytes.Cut(h.RequestURI(), []byte("?"))
		upload := isUpload(string(h.Method()), string(path))
		limit := l.json
		if upload {
			limit = l.upload
		}
		if h.ContentLength() > limit {
			h.Set(headerOverLimit, "1")
			h.SetContentLength(0)
		}
		if upload {
			return fasthttp.RequestConfig{ReadTimeout: uploadTimeout}
		}
		return fasthttp.RequestConfig{}
	}
}
