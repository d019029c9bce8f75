package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
)

type codeName struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type deadlinesOut struct {
	DispatchDue   time.Time `json:"dispatch_due"`
	ResponseDue   time.Time `json:"response_due"`
	ResolutionDue time.Time `json:"resolution_due"`
}

type reportOut struct {
	ID              string           `json:"id"`
	TrackingCode    string           `json:"tracking_code"`
	Status          string           `json:"status"`
	Category        codeName         `json:"category"`
	Area            *codeName        `json:"area,omitempty"`
	Agency          codeName         `json:"agency"`
	RoutingReason   string           `json:"routing_reason"`
	Title           string           `json:"title,omitempty"`
	Description     string           `json:"description"`
	Address         string           `json:"address,omitempty"`
	Location        feedback.Point   `json:"location"`
	Urgent          bool             `json:"urgent"`
	Anonymous       bool             `json:"anonymous"`
	ContactPhone    string           `json:"contact_phone,omitempty"`
	Locale          string           `json:"locale"`
	Deadlines       deadlinesOut     `json:"deadlines"`
	SupportCount    int              `json:"support_count"`
	ClientCreatedAt *time.Time       `json:"client_created_at,omitempty"`
	CreatedAt       time.Time        `json:"created_at"`
	UpdatedAt       time.Time        `json:"updated_at"` // the cursor of syncing by updated_since
	Photos          []photoOut       `json:"photos"`
	Answer          string           `json:"answer,omitempty"`
	Overdue         feedback.Overdue `json:"overdue"`
	OnTime          feedback.OnTime  `json:"on_time"`
	Version         int64            `json:"version"`
	Extension       *extensionOut    `json:"extension,omitempty"`
}

// extensionOut is the agency's pending request for more time, for staff.
type extensionOut struct {
	DueAt       time.Time `json:"due_at"`
	Reason      string    `json:"reason"`
	RequestedAt time.Time `json:"requested_at"`
}

// names resolves reference codes to localized names.
type names struct {
	cats, areas, agencies map[string]i18n.Text
}

// namesCache holds the names of the last snapshot seen: they are built
// once per snapshot (every few seconds at most), not on every request.
var namesCache atomic.Pointer[struct {
	snap *feedback.Reference
	n    names
}]

func loadNames(ctx context.Context, ref *feedback.ReferenceService) (names, error) {
	snap, err := ref.Snapshot(ctx)
	if err != nil {
		return names{}, err
	}
	if c := namesCache.Load(); c != nil && c.snap == snap {
		return c.n, nil
	}
	n := namesOf(snap)
	namesCache.Store(&struct {
		snap *feedback.Reference
		n    names
	}{snap, n})
	return n, nil
}

// namesOf indexes a snapshot's names by code. The maps are shared by every
// request that uses the snapshot: read only.
func namesOf(snap *feedback.Reference) names {
	n := names{cats: map[string]i18n.Text{}, areas: map[string]i18n.Text{}, agencies: map[string]i18n.Text{}}
	for _, c := range snap.Categories {
		n.cats[c.Code] = c.Name
	}
	for _, a := range snap.Areas {
		n.areas[a.Code] = a.Name
	}
	for _, a := range snap.Agencies {
		n.agencies[a.Code] = a.Name
	}
	return n
}

// toReport shapes a report for one viewer. Only the reporter sees a
// contact phone they left anonymously; staff see it only when the reporter
// chose to be known.
func toReport(r *feedback.Report, view feedback.View, n names, lang i18n.Lang, now time.Time) reportOut {
	out := reportOut{ID: r.ID, TrackingCode: r.TrackingCode, Status: string(r.Status),
		Category: codeName{r.CategoryCode, n.cats[r.CategoryCode].In(lang)}, Agency: codeName{r.AgencyCode, n.agencies[r.AgencyCode].In(lang)},
		RoutingReason: r.RoutingReason.In(lang), Title: r.Title, Description: r.Description, Address: r.Address, Location: r.Location,
		Urgent: r.Urgent, Anonymous: r.Anonymous, Locale: string(r.Locale), SupportCount: r.SupportCount, CreatedAt: local(r.CreatedAt), UpdatedAt: local(r.UpdatedAt),
		Deadlines: deadlinesOut{local(r.Deadlines.DispatchDue), local(r.Deadlines.ResponseDue), local(r.Deadlines.ResolutionDue)},
		Photos:    []photoOut{}, Answer: r.Answer, Overdue: r.OverdueAt(now), OnTime: r.OnTime(), Version: r.Version}
	if r.AreaCode != "" {
		out.Area = &codeName{r.AreaCode, n.areas[r.AreaCode].In(lang)}
	}
	if view == feedback.ViewReporter || !r.Anonymous {
		out.ContactPhone = r.ContactPhone
	}
	if e := r.Extension; e != nil && view == feedback.ViewStaff {
		out.Extension = &extensionOut{DueAt: local(e.DueAt), Reason: e.Reason, RequestedAt: local(e.RequestedAt)}
	}
	if r.ClientCreatedAt != nil {
		t := local(*r.ClientCreatedAt)
		out.ClientCreatedAt = &t
	}
	return out
}

type pointIn struct {
	Lat *float64 `json:"lat"`
	Lng *float64 `json:"lng"`
}

// submitIn only bounds sizes: the domain checks every rule, so one answer
// lists every bad field.
type submitIn struct {
	CategoryCode    string     `json:"category_code" validate:"max=200"`
	Title           string     `json:"title" validate:"max=1000"`
	Description     string     `json:"description" validate:"max=20000"`
	Location        *pointIn   `json:"location"`
	Address         string     `json:"address" validate:"max=2000"`
	AreaCode        string     `json:"area_code" validate:"max=200"`
	Urgent          bool       `json:"urgent"`
	Anonymous       *bool      `json:"anonymous"`
	ContactPhone    string     `json:"contact_phone" validate:"max=100"`
	Locale          string     `json:"locale" validate:"max=20"`
	ClientCreatedAt *time.Time `json:"client_created_at"`
}

var idempotencyKey = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

func submitReport(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get("Idempotency-Key")
		if key != "" && !idempotencyKey.MatchString(key) {
			return invalidQuery("Idempotency-Key", "Khóa phải gồm 1–255 ký tự ASCII in được", "must be 1–255 printable ASCII characters")
		}
		key = string([]byte(key))
		var in submitIn
		decodeErr := decodeJSON(c, &in)
		var loc *feedback.Point
		if in.Location != nil && in.Location.Lat != nil && in.Location.Lng != nil {
			loc = &feedback.Point{Lat: *in.Location.Lat, Lng: *in.Location.Lng}
		}
		submit := feedback.SubmitInput{
			CategoryCode: in.CategoryCode, Title: in.Title, Description: in.Description,
			Location: loc, Address: in.Address, AreaCode: in.AreaCode,
			Urgent: in.Urgent, Anonymous: in.Anonymous, ContactPhone: in.ContactPhone, Locale: in.Locale, ClientCreatedAt: in.ClientCreatedAt,
		}
		if decodeErr != nil {
			return alsoInvalid(decodeErr, svc.CheckSubmit(c.UserContext(), principal(c), submit))
		}
		r, replayed, err := svc.Submit(c.UserContext(), principal(c), submit, key)
		if err != nil {
			return err
		}
		n, err := loadNames(c.UserContext(), ref)
		if err != nil {
			return err
		}
		if replayed {
			c.Set("Idempotent-Replayed", "true")
		}
		c.Location("/v1/reports/" + r.ID)
		c.Status(fiber.StatusCreated)
		return c.JSON(toReport(r, feedback.ViewReporter, n, localized(c), svc.Now()))
	}
}

func getReport(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, view, err := svc.Get(c.UserContext(), principal(c), string([]byte(c.Params("id"))))
		if err != nil {
			return err
		}
		n, err := loadNames(c.UserContext(), ref)
		if err != nil {
			return err
		}
		photos, err := svc.Photos(c.UserContext(), r.ID)
		if err != nil {
			return err
		}
		out := toReport(r, view, n, localized(c), svc.Now())
		for _, m := range photos {
			out.Photos = append(out.Photos, toPhoto(m))
		}
		return c.JSON(out)
	}
}

// renderReports shapes a list of reports for one kind of viewer.
func renderReports(c *fiber.Ctx, svc *feedback.ReportService, ref *feedback.ReferenceService, list []feedback.Report, view feedback.View) ([]reportOut, error) {
	n, err := loadNames(c.UserContext(), ref)
	if err != nil {
		return nil, err
	}
	lang, now := localized(c), svc.Now()
	out := make([]reportOut, 0, len(list))
	for i := range list {
		out = append(out, toReport(&list[i], view, n, lang, now))
	}
	return out, nil
}

type reportPage struct {
	Items      []reportOut `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

func myReports(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		if since := q.Time("updated_since"); since != nil || q.Err() != nil {
			return myChanges(c, svc, ref, q, since) // sync.go
		}
		before, limit := q.Cursor(identity.DecodeCursor), q.Int("limit", 20, 1, 100)
		if err := q.Err(); err != nil {
			return err
		}
		list, err := svc.Mine(c.UserContext(), principal(c), before, limit)
		if err != nil {
			return err
		}
		items, err := renderReports(c, svc, ref, list, feedback.ViewReporter)
		if err != nil {
			return err
		}
		out := reportPage{Items: items}
		if len(list) == limit {
			next := identity.EncodeCursor(list[len(list)-1].ID)
			out.NextCursor = &next
		}
		return c.JSON(out)
	}
}

type nearbyOut struct {
	ID           string          `json:"id"`
	Category     codeName        `json:"category"`
	Status       string          `json:"status"`
	Title        string          `json:"title,omitempty"`
	Location     *feedback.Point `json:"location,omitempty"`
	DistanceM    float64         `json:"distance_m"`
	Approximate  bool            `json:"approximate"`
	SupportCount *int            `json:"support_count,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// nearbyReports lists open reports close to a point so the app can offer
// "already reported: add your voice". Public, so it shows no personal data
// and no free text a moderator has not seen (titles only once dispatched).
func nearbyReports(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		q := readQuery(c)
		lat, lng := q.Float("lat", true, 0, -90, 90), q.Float("lng", true, 0, -180, 180)
		radius, category := q.Float("radius_m", false, 150, 1, 2000), q.String("category_code", 200)
		if err := q.Err(); err != nil {
			return err
		}
		list, err := svc.PublicNearby(c.UserContext(), principal(c), feedback.Point{Lat: lat, Lng: lng}, category, radius)
		if err != nil {
			return err
		}
		n, err := loadNames(c.UserContext(), ref)
		if err != nil {
			return err
		}
		lang := localized(c)
		out := list0[nearbyOut]()
		for _, nb := range list {
			r := nb.Report
			item := nearbyOut{ID: r.ID, Category: codeName{r.CategoryCode, n.cats[r.CategoryCode].In(lang)},
				Status: string(r.Status), DistanceM: float64(int(nb.Distance*10)) / 10, Approximate: nb.Hint, CreatedAt: local(r.CreatedAt)}
			if !nb.Hint { // published, or the caller's own
				count, loc := r.SupportCount, r.Location
				item.SupportCount, item.Location = &count, &loc
				if r.Status != feedback.StatusSubmitted {
					item.Title = r.Title
				}
			}
			out.Items = append(out.Items, item)
		}
		return c.JSON(out)
	}
}

func list0[T any]() list[T] { return list[T]{Items: []T{}} }

type supportOut struct {
	ID           string `json:"id"`
	SupportCount int    `json:"support_count"`
	Added        bool   `json:"added"`
}

// supportReport adds the caller's support, at most lim.SupportsPerAccount
// a window per account (so a script cannot inflate counts).
func supportReport(svc *feedback.ReportService, ids *identity.Service, lim Limits) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p := principal(c); !p.IsAnonymous() {
			if err := ids.Limit(c.UserContext(), "support:"+p.UserID, lim.SupportsPerAccount, lim.SupportWindow); err != nil {
				return err
			}
		}
		r, added, err := svc.AddSupport(c.UserContext(), principal(c), string([]byte(c.Params("id"))))
		if err != nil {
			return err
		}
		return c.JSON(supportOut{ID: r.ID, SupportCount: r.SupportCount, Added: added})
	}
}

type photoOut struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	ThumbURL    string    `json:"thumb_url"`
	ContentType string    `json:"content_type"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	CreatedAt   time.Time `json:"created_at"`
}

func toPhoto(m feedback.Media) photoOut {
	return photoOut{ID: m.ID, URL: "/v1/media/" + m.ID, ThumbURL: "/v1/media/" + m.ID + "/thumb", ContentType: m.ContentType,
		Width: m.Width, Height: m.Height, CreatedAt: local(m.CreatedAt)}
}

// uploadPhoto takes a multipart upload (field "file"). The client's
// content type and file name are ignored: the bytes decide.
func uploadPhoto(svc *feedback.ReportService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get("Idempotency-Key")
		if key != "" && !idempotencyKey.MatchString(key) {
			return invalidQuery("Idempotency-Key", "Khóa phải gồm 1–255 ký tự ASCII in được", "must be 1–255 printable ASCII characters")
		}
		key = string([]byte(key))
		f, err := spoolPhoto(c)
		if err != nil {
			return err
		}
		defer func() { f.Close(); os.Remove(f.Name()) }()
		// Decoding stops when the client goes away, or after a minute.
		ctx, stop := requestContext(c, time.Minute)
		defer stop()
		m, replayed, err := svc.AddPhotoOnce(ctx, principal(c), string([]byte(c.Params("id"))), f, key)
		if err != nil {
			return err
		}
		if replayed {
			c.Set("Idempotent-Replayed", "true")
		}
		c.Location("/v1/media/" + m.ID)
		c.Status(fiber.StatusCreated)
		return c.JSON(toPhoto(m))
	}
}

// spoolPhoto copies the multipart field "file" from the request's body
// stream to a temporary file, so an upload is never held in memory (the
// stream is cut at the route's limit: 413 past it). The file is rewound for
// reading; the caller removes it.
func spoolPhoto(c *fiber.Ctx) (*os.File, error) {
	noFile := malformed("Cần tệp ảnh trong trường \"file\" (multipart/form-data)", `a photo is expected in the multipart field "file"`)
	boundary := string(c.Request().Header.MultipartFormBoundary())
	if boundary == "" {
		return nil, noFile
	}
	mr := multipart.NewReader(uploadBody(c), boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, noFile
		}
		if err != nil {
			return nil, uploadError(err)
		}
		if part.FormName() != "file" {
			continue // other fields are skipped (and still count toward the limit)
		}
		f, err := os.CreateTemp("", "camaug-upload-*")
		if err != nil {
			return nil, apperr.Internal(err)
		}
		if _, err := io.Copy(f, part); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, uploadError(err)
		}
		// Read the body to its end, so nothing is left on the connection:
		// requestContext then sees the client close it.
		for {
			if _, err = mr.NextPart(); err != nil {
				break
			}
		}
		if !errors.Is(err, io.EOF) {
			f.Close()
			os.Remove(f.Name())
			return nil, uploadError(err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			os.Remove(f.Name())
			return nil, apperr.Internal(err)
		}
		return f, nil
	}
}

// uploadError is 413 past the limit, 408 for a body too slow, 400 else.
func uploadError(err error) error {
	if errors.Is(err, errBodyOverLimit) {
		return tooLarge(DefaultUploadBodyLimit)
	}
	return bodyReadError(err)
}

func servePhoto(svc *feedback.ReportService, thumb bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		m, data, err := svc.Photo(c.UserContext(), principal(c), string([]byte(c.Params("id"))), thumb)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, m.ContentType)
		c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
		c.Set("X-Content-Type-Options", "nosniff")
		return c.Send(data)
	}
}

// publicReport is a report as the public feed shows it: no reporter, no
// contact, nothing personal.
type publicReport struct {
	ID           string           `json:"id"`
	TrackingCode string           `json:"tracking_code"`
	Status       string           `json:"status"`
	Category     codeName         `json:"category"`
	Area         *codeName        `json:"area,omitempty"`
	Agency       codeName         `json:"agency"`
	Title        string           `json:"title,omitempty"`
	Description  string           `json:"description"`
	Address      string           `json:"address,omitempty"`
	Location     feedback.Point   `json:"location"`
	Answer       string           `json:"answer,omitempty"`
	Deadlines    deadlinesOut     `json:"deadlines"`
	Overdue      feedback.Overdue `json:"overdue"`
	OnTime       feedback.OnTime  `json:"on_time"`
	SupportCount int              `json:"support_count"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
}

func toPublic(r *feedback.Report, n names, lang i18n.Lang, now time.Time) publicReport {
	full := toReport(r, feedback.ViewStaff, n, lang, now)
	return publicReport{ID: full.ID, TrackingCode: full.TrackingCode, Status: full.Status, Category: full.Category, Area: full.Area,
		Agency: full.Agency, Title: full.Title, Description: full.Description, Address: full.Address, Location: full.Location,
		Answer: full.Answer, Deadlines: full.Deadlines, Overdue: full.Overdue, OnTime: full.OnTime, SupportCount: full.SupportCount, CreatedAt: full.CreatedAt,
		UpdatedAt: full.UpdatedAt}
}

type publicPage struct {
	Items      []publicReport `json:"items"`
	NextCursor *string        `json:"next_cursor"`
}

// publicFeed is GET /v1/reports: anyone may read it.
func publicFeed(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		page, err := readPublicFeed(c, svc, ref)
		if err != nil {
			return err
		}
		return c.JSON(page)
	}
}

// readPublicFeed reads the page of the public feed the request asks for.
func readPublicFeed(c *fiber.Ctx, svc *feedback.ReportService, ref *feedback.ReferenceService) (*publicPage, error) {
	q := readQuery(c)
	in := feedback.FeedInput{Status: q.Enum("status", statusNames(feedback.PublicStatuses)...), CategoryCode: q.String("category_code", 200),
		AreaCode: q.String("area_code", 200), AgencyCode: q.String("agency_code", 200), Query: q.String("q", 200),
		Cursor: q.String("cursor", 1000), Limit: q.Int("limit", 20, 1, 100), Since: q.Time("since"),
		UpdatedSince: q.Time("updated_since")}
	if v := c.Query("bbox"); v != "" {
		parts := strings.Split(v, ",")
		var b [4]float64
		ok := len(parts) == 4
		for i := 0; ok && i < 4; i++ {
			var err error
			b[i], err = strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
			ok = err == nil
		}
		if ok {
			in.BBox = &b
		} else {
			q.fail("bbox", "bbox = 4 số: kinh độ nhỏ, vĩ độ nhỏ, kinh độ lớn, vĩ độ lớn", "must be four numbers: min_lng,min_lat,max_lng,max_lat")
		}
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	list, next, err := svc.Feed(c.UserContext(), in)
	if err != nil {
		return nil, err
	}
	n, err := loadNames(c.UserContext(), ref)
	if err != nil {
		return nil, err
	}
	lang, now := localized(c), svc.Now()
	out := &publicPage{Items: make([]publicReport, 0, len(list))}
	for i := range list {
		out.Items = append(out.Items, toPublic(&list[i], n, lang, now))
	}
	if next != "" {
		out.NextCursor = &next
	}
	return out, nil
}

// publicGeoJSON is GET /v1/reports.geojson: the public feed as a GeoJSON
// FeatureCollection for maps, same filters, same (non-personal) fields.
func publicGeoJSON(svc *feedback.ReportService, ref *feedback.ReferenceService) fiber.Handler {
	return func(c *fiber.Ctx) error {
		page, err := readPublicFeed(c, svc, ref)
		if err != nil {
			return err
		}
		type geometry struct {
			Type        string     `json:"type"`
			Coordinates [2]float64 `json:"coordinates"`
		}
		type feature struct {
			Type       string        `json:"type"`
			ID         string        `json:"id"`
			Geometry   geometry      `json:"geometry"`
			Properties *publicReport `json:"properties"`
		}
		out := struct {
			Type       string    `json:"type"`
			Features   []feature `json:"features"`
			NextCursor *string   `json:"next_cursor"`
		}{Type: "FeatureCollection", Features: make([]feature, 0, len(page.Items)), NextCursor: page.NextCursor}
		for i := range page.Items {
			it := &page.Items[i]
			out.Features = append(out.Features, feature{Type: "Feature", ID: it.ID,
				Geometry: geometry{Type: "Point", Coordinates: [2]float64{it.Location.Lng, it.Location.Lat}}, Properties: it})
		}
		c.Set(fiber.HeaderContentType, "application/geo+json")
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		return c.Send(b)
	}
}
