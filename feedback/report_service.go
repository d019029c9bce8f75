package feedback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
	mediapkg "camaug/internal/media"
)

// ReportService is the intake use cases: submit, read one's own, find
// nearby reports, support one.
type ReportService struct {
	store   ReportStore
	media   MediaStore
	ratings RatingStore
	ref     *ReferenceService
	now     func() time.Time
	figures figuresCache
	// photos is the memory that photo decoding may hold at once, shared
	// by every upload this service handles.
	photos *mediapkg.Budget
}

// NewReportService returns the service; now may be nil (time.Now).
func NewReportService(store ReportStore, media MediaStore, ratings RatingStore, ref *ReferenceService, now func() time.Time) *ReportService {
	if now == nil {
		now = time.Now
	}
	return &ReportService{store: store, media: media, ratings: ratings, ref: ref, now: now,
		photos: mediapkg.NewBudget(mediapkg.DefaultMaxDecodeBytes, 10*time.Second)}
}

// SubmitInput is what a reporter sends.
type SubmitInput struct {
	CategoryCode    string     `json:"category_code"`
	Title           string     `json:"title,omitempty"`
	Description     string     `json:"description"`
	Location        *Point     `json:"location"`
	Address         string     `json:"address,omitempty"`
	AreaCode        string     `json:"area_code,omitempty"`
	Urgent          bool       `json:"urgent,omitempty"`
	Anonymous       *bool      `json:"anonymous,omitempty"`
	ContactPhone    string     `json:"contact_phone,omitempty"`
	Locale          string     `json:"locale,omitempty"`
	ClientCreatedAt *time.Time `json:"client_created_at,omitempty"`
}

func fieldErr(name, vi, en string) apperr.FieldError {
	return apperr.FieldError{Field: name, Message: i18n.T(vi, en)}
}

// clean trims and NFC-normalizes user text.
func clean(s string) string { return i18n.CleanText(s) }

// Submit validates a report, places it (area from the GPS point where
// boundaries are loaded), routes it, sets its deadlines on the working
// calendar and stores it. With an idempotency key, a retry with the same
// body returns the first report (replayed = true) and a retry with another
// body is ECONFLICT; concurrent retries create one report. A category
// with AutoDispatch is dispatched in the same write. With a store that is
// a Submitter all of it is one store call (one durable commit).
func (s *ReportService) Submit(ctx context.Context, p identity.Principal, in SubmitInput, key string) (r *Report, replayed bool, err error) {
	if err := p.Require(identity.PermReportsCreate); err != nil {
		return nil, false, err
	}
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil, false, err
	}
	now := s.now()
	r, err = s.build(ref, p, in, now)
	if err != nil {
		return nil, false, err
	}
	var claim *Idempotency
	if key != "" {
		body, _ := json.Marshal(in)
		sum := sha256.Sum256(append([]byte("POST /v1/reports\x00"), body...))
		claim = &Idempotency{Scope: p.UserID, Key: key, RequestHash: hex.EncodeToString(sum[:]),
			ResourceID: r.ID, CreatedAt: now.UTC(), ExpiresAt: now.Add(IdempotencyTTL).UTC()}
	}
	sub := &Submission{Claim: claim, Report: r}
	r.Version = 1
	if cat, ok := categoryOf(ref, r.CategoryCode); ok && cat.AutoDispatch && r.Status == StatusSubmitted {
		if next, ev, err := Apply(systemPrincipal, r, TransitionInput{Action: ActDispatch,
			Note: "tự động chuyển xử lý theo lĩnh vực"}, now, ref); err == nil {
			sub.Dispatched, sub.Event = next, ev
		}
	}
	if st, ok := s.store.(Submitter); ok {
		res, err := st.SubmitReport(ctx, sub)
		if err != nil {
			return nil, false, err
		}
		return res.Report, res.Replayed, nil
	}
	res, err := s.submitSteps(ctx, sub)
	if err != nil {
		return nil, false, err
	}
	return res.Report, res.Replayed, nil
}

// submitSteps stores a submission with a store that is no Submitter: the
// claim, the report and the dispatch each in a call of its own.
func (s *ReportService) submitSteps(ctx context.Context, sub *Submission) (SubmitResult, error) {
	var res SubmitResult
	if sub.Claim != nil {
		claim, err := s.store.ClaimIdempotency(ctx, *sub.Claim)
		switch apperr.CodeOf(err) {
		case "":
		case apperr.ECONFLICT:
			if claim.RequestHash != sub.Claim.RequestHash {
				return res, ErrIdempotencyKeyReused()
			}
			// A retry: the report is the one the first request claimed.
			// If that request died before storing it, this one stores it.
			sub.Rename(claim.ResourceID, sub.Report.TrackingCode)
			res.Replayed = true
		default:
			return res, err
		}
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = s.store.CreateReport(ctx, sub.Report)
		if apperr.CodeOf(err) != apperr.ECONFLICT {
			break
		}
		if existing, gerr := s.store.GetReport(ctx, sub.Report.ID); gerr == nil {
			// A concurrent retry stored it first; this request is still the
			// key's first use when it made the claim (Replayed false).
			res.Report = existing
			return res, nil
		}
		if attempt == 3 {
			break
		}
		sub.Rename(sub.Report.ID, NewTrackingCode()) // a tracking code clash
	}
	if err != nil {
		return res, err
	}
	res.Report = sub.Report
	// The report is stored; if the dispatch fails it waits for the
	// coordinator like any other.
	if sub.Dispatched != nil && s.store.Transition(ctx, sub.Dispatched, sub.Event) == nil {
		res.Report = sub.Dispatched
	}
	return res, nil
}

// CheckSubmit lists every field of in that Submit would refuse, writing
// nothing; none when p may not report at all (Submit says so).
func (s *ReportService) CheckSubmit(ctx context.Context, p identity.Principal, in SubmitInput) []apperr.FieldError {
	if p.Require(identity.PermReportsCreate) != nil {
		return nil
	}
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil
	}
	_, err = s.build(ref, p, in, s.now())
	return invalidFields(err)
}

// invalidFields is the fields an EINVALID error lists, none for any other.
func invalidFields(err error) []apperr.FieldError {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.EINVALID {
		return nil
	}
	return ae.Fields
}

func (s *ReportService) build(ref *Reference, p identity.Principal, in SubmitInput, now time.Time) (*Report, error) {
	var fs []apperr.FieldError
	r := &Report{ID: ids.New(), TrackingCode: NewTrackingCode(), ReporterID: p.UserID, Anonymous: true, Status: StatusSubmitted,
		CreatedAt: now.UTC(), UpdatedAt: now.UTC(), Locale: i18n.VI}

	var cat *Category
	for i := range ref.Categories {
		if ref.Categories[i].Code == in.CategoryCode {
			cat = &ref.Categories[i]
		}
	}
	switch {
	case in.CategoryCode == "":
		fs = append(fs, fieldErr("category_code", "Bắt buộc chọn lĩnh vực", "is required"))
	case cat == nil:
		fs = append(fs, fieldErr("category_code", "Lĩnh vực không tồn tại", "is not a known category"))
	case cat.OutOfScope:
		return nil, apperr.Invalid(cat.OutOfScopeMessage, apperr.FieldError{Field: "category_code", Message: cat.OutOfScopeMessage})
	default:
		r.CategoryCode = cat.Code
	}

	r.Description = clean(in.Description)
	if n := utf8.RuneCountInString(r.Description); n < 10 || n > 4000 {
		fs = append(fs, fieldErr("description", "Nội dung phải từ 10 đến 4000 ký tự", "must be 10 to 4000 characters"))
	}
	r.Title = clean(in.Title)
	if utf8.RuneCountInString(r.Title) > 200 {
		fs = append(fs, fieldErr("title", "Tiêu đề tối đa 200 ký tự", "must be at most 200 characters"))
	}
	r.Address = clean(in.Address)
	if utf8.RuneCountInString(r.Address) > 300 {
		fs = append(fs, fieldErr("address", "Địa chỉ tối đa 300 ký tự", "must be at most 300 characters"))
	}
	if in.Anonymous != nil {
		r.Anonymous = *in.Anonymous
	}
	if in.ContactPhone != "" {
		phone, ok := contactPhone(in.ContactPhone)
		if !ok {
			fs = append(fs, fieldErr("contact_phone", "Số điện thoại không hợp lệ", "is not a valid phone number"))
		}
		r.ContactPhone = phone
	}
	switch in.Locale {
	case "", "vi":
	case "en":
		r.Locale = i18n.EN
	default:
		fs = append(fs, fieldErr("locale", "Chỉ hỗ trợ vi hoặc en", "must be vi or en"))
	}
	if in.ClientCreatedAt != nil {
		t := in.ClientCreatedAt.UTC()
		if t.After(now.Add(10*time.Minute)) || t.Before(now.Add(-30*24*time.Hour)) {
			fs = append(fs, fieldErr("client_created_at", "Thời điểm tạo phải trong 30 ngày qua", "must be within the last 30 days"))
		}
		r.ClientCreatedAt = &t
	}
	if in.Urgent {
		if cat != nil && !cat.UrgentCapable {
			fs = append(fs, fieldErr("urgent", "Lĩnh vực này không nhận phản ánh khẩn", "this category takes no urgent reports"))
		}
		r.Urgent = true
	}

	switch {
	case in.Location == nil:
		fs = append(fs, fieldErr("location", "Bắt buộc có vị trí", "is required"))
	case math.IsNaN(in.Location.Lat) || math.IsNaN(in.Location.Lng) || math.Abs(in.Location.Lat) > 90 || math.Abs(in.Location.Lng) > 180:
		fs = append(fs, fieldErr("location", "Tọa độ không hợp lệ", "is not a valid latitude/longitude"))
	default:
		r.Location = Point{Lat: in.Location.Lat, Lng: in.Location.Lng}
		area, fe := place(ref, r.Location, in.AreaCode)
		if fe != nil {
			fs = append(fs, *fe)
		}
		r.AreaCode = area
		r.Cell = Geohash(r.Location, 7)
	}
	if len(fs) > 0 {
		return nil, apperr.Invalid(i18n.T("Phản ánh chưa hợp lệ", "the report is not valid"), fs...)
	}

	route, err := ref.Route(r.CategoryCode, r.AreaCode)
	if err != nil {
		return nil, err
	}
	r.AgencyCode, r.RoutingRule, r.RoutingReason = route.Agency.Code, route.RuleCode, route.Reason
	r.Deadlines = ref.Calendar.DeadlinesFor(now, *cat, r.Urgent)
	return r, nil
}

// contactPhone accepts a Vietnamese mobile number (normalized) or, for
// visitors, an international number in + form with 8 to 15 digits.
func contactPhone(s string) (string, bool) {
	if p, ok := identity.NormalizePhone(s); ok {
		return p, true
	}
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "+") {
		return "", false
	}
	var d strings.Builder
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	if n := d.Len(); n < 8 || n > 15 {
		return "", false
	}
	return "+" + d.String(), true
}

// place decides a report's area from its point and the loaded boundaries
// (see Locator): the deepest current area whose boundary holds the point; on
// a border shared by several, the one with the smallest official code. A
// point that no boundary holds is outside the province and refused. A
// chosen area_code must exist, be current (not historical) and, when it has
// a boundary, hold the point. Without boundaries the chosen area (or the
// province) is used.
func place(ref *Reference, p Point, chosen string) (string, *apperr.FieldError) {
	byCode := ref.areasByCode()
	var root Area
	for _, a := range ref.Areas {
		if a.ParentCode == "" && root.Code == "" && !a.Historical {
			root = a
			break
		}
	}
	loc := ref.Locator()
	var found []string
	if loc.Bounded() {
		found = loc.Containing(p)
		if len(found) == 0 {
			e := apperr.FieldError{Field: "location", Message: i18n.T(
				fmt.Sprintf("Vị trí nằm ngoài %s (ngoài ranh giới tỉnh, kể cả các đảo)", root.Name.Vi),
				fmt.Sprintf("is outside %s (outside the province's boundary, islands included)", root.Name.In(i18n.EN)))}
			return "", &e
		}
	}
	if chosen != "" {
		a, ok := byCode[chosen]
		switch {
		case !ok:
			e := fieldErr("area_code", "Đơn vị hành chính không tồn tại", "is not a known area")
			return "", &e
		case a.Historical:
			e := fieldErr("area_code", "Đơn vị hành chính này không còn tồn tại sau sắp xếp năm 2025; hãy chọn đơn vị hiện hành",
				"this area no longer exists since the 2025 reform; choose a current one")
			return "", &e
		}
		if a.HasBoundary() && !loc.Holds(chosen, p) {
			e := fieldErr("area_code", "Vị trí không nằm trong đơn vị hành chính đã chọn", "the location is not inside this area")
			return "", &e
		}
		// The chosen area stands unless the point lies in a unit below it.
		if len(found) == 0 || found[0] == chosen || !isBelow(byCode, found[0], chosen) {
			return chosen, nil
		}
	}
	if len(found) > 0 {
		return found[0], nil
	}
	return root.Code, nil
}

// isBelow reports whether area code lies under ancestor in the tree.
func isBelow(byCode map[string]Area, code, ancestor string) bool {
	seen := map[string]bool{}
	for cur := byCode[code].ParentCode; cur != "" && !seen[cur]; cur = byCode[cur].ParentCode {
		if cur == ancestor {
			return true
		}
		seen[cur] = true
	}
	return false
}

// View says how much of a report the caller may see.
type View int

// The views.
const (
	ViewReporter View = iota + 1 // everything: it is theirs
	ViewStaff                    // handling staff: no reporter identity when anonymous
)

// Get returns a report the caller may see: the reporter, coordinators and
// admins, and the staff of the agency it is routed to. Anyone else gets
// ENOTFOUND, as if it did not exist.
func (s *ReportService) Get(ctx context.Context, p identity.Principal, id string) (*Report, View, error) {
	if p.IsAnonymous() {
		return nil, 0, identity.ErrUnauthenticated()
	}
	notFound := apperr.NotFound(i18n.T("Không tìm thấy phản ánh", "report not found"))
	if !ids.Valid(id) {
		return nil, 0, notFound
	}
	r, err := s.store.GetReport(ctx, id)
	if err != nil {
		if apperr.CodeOf(err) == apperr.ENOTFOUND {
			return nil, 0, notFound
		}
		return nil, 0, err
	}
	switch {
	case r.ReporterID == p.UserID:
		return r, ViewReporter, nil
	case p.Can(identity.PermReportsAll):
		return r, ViewStaff, nil
	case p.Can(identity.PermReportsHandle) && p.AgencyCode != "" && p.AgencyCode == r.AgencyCode:
		return r, ViewStaff, nil
	}
	return nil, 0, notFound
}

// Mine lists the caller's own reports, newest first.
func (s *ReportService) Mine(ctx context.Context, p identity.Principal, before string, limit int) ([]Report, error) {
	if p.IsAnonymous() {
		return nil, identity.ErrUnauthenticated()
	}
	if limit < 1 || limit > 100 {
		limit = 20
	}
	return s.store.ListByReporter(ctx, p.UserID, before, limit)
}

// Nearby is one open report near a point.
type Nearby struct {
	Report   Report
	Distance float64 // meters
	// Hint marks an unpublished report shown only as a duplicate hint
	// (see PublicNearby): Report holds only its ID, category, status and
	// received time, and Distance is approximate.
	Hint bool
}

// FindNearby returns open reports within radius meters (150 by default, at
// most 2000) of p, nearest first, at most 20, optionally of one category.
func (s *ReportService) FindNearby(ctx context.Context, p Point, category string, radius float64) ([]Nearby, error) {
	radius, err := checkNearby(p, radius)
	if err != nil {
		return nil, err
	}
	return s.nearby(ctx, p, category, radius, 20)
}

// checkNearby validates a nearby search and returns its radius (150 m by
// default).
func checkNearby(p Point, radius float64) (float64, error) {
	var fs []apperr.FieldError
	if math.IsNaN(p.Lat) || math.IsNaN(p.Lng) || math.Abs(p.Lat) > 90 || math.Abs(p.Lng) > 180 {
		fs = append(fs, fieldErr("lat", "Tọa độ không hợp lệ", "is not a valid latitude/longitude"))
	}
	if radius == 0 {
		radius = 150
	}
	if radius < 1 || radius > 2000 || math.IsNaN(radius) {
		fs = append(fs, fieldErr("radius_m", "Bán kính từ 1 đến 2000 mét", "must be 1 to 2000 meters"))
	}
	if len(fs) > 0 {
		return 0, apperr.Invalid(i18n.T("Tham số không hợp lệ", "invalid parameter"), fs...)
	}
	return radius, nil
}

// nearby returns at most want open reports within radius of p, nearest
// first.
func (s *ReportService) nearby(ctx context.Context, p Point, category string, radius float64, want int) ([]Nearby, error) {
	hits, err := s.nearbyHits(ctx, p, category, radius, want)
	if err != nil {
		return nil, err
	}
	return s.readHits(ctx, hits)
}

// nearbyHits returns at most want open candidates within radius of p,
// nearest first, without reading their reports.
func (s *ReportService) nearbyHits(ctx context.Context, p Point, category string, radius float64, want int) ([]nearbyHit, error) {
	// Visit cells nearest first, a batch at a time, and stop once the
	// next cell is farther than the last wanted hit: in a dense ward the
	// answer is found in the first batches whatever the radius. The first
	// batch is the 9 nearest cells (about the 3 × 3 around the point), each
	// next one twice as large (at most 32 cells): a sparse search makes few
	// queries, a dense one reads few cells.
	const firstBatch, maxBatch = 9, 32
	cells := NearestCells(p, radius)
	var hits []nearbyHit
	for i, batch := 0, firstBatch; i < len(cells); i, batch = i+batch, min(2*batch, maxBatch) {
		if len(hits) >= want && cells[i].MinDist > hits[want-1].Distance {
			break
		}
		end := min(i+batch, len(cells))
		hashes := make([]string, 0, end-i)
		for _, c := range cells[i:end] {
			hashes = append(hashes, c.Hash)
		}
		cands, err := s.store.NearbyCandidates(ctx, hashes, category, OpenStatuses)
		if err != nil {
			return nil, err
		}
		for _, c := range cands {
			if d := DistanceMeters(p, c.Location); d <= radius {
				hits = append(hits, nearbyHit{Candidate: c, Distance: d})
			}
		}
		sort.Slice(hits, func(a, b int) bool { return hits[a].Distance < hits[b].Distance })
	}
	if len(hits) > want {
		hits = hits[:want]
	}
	return hits, nil
}

// readHits reads the hits' reports, keeping the hits' order and distances
// (a report gone meanwhile is left out).
func (s *ReportService) readHits(ctx context.Context, hits []nearbyHit) ([]Nearby, error) {
	idList := make([]string, len(hits))
	for i, h := range hits {
		idList[i] = h.ID
	}
	reports, err := s.store.GetReports(ctx, idList)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Report, len(reports))
	for _, r := range reports {
		byID[r.ID] = r
	}
	out := make([]Nearby, 0, len(hits))
	for _, h := range hits {
		if r, ok := byID[h.ID]; ok {
			out = append(out, Nearby{Report: r, Distance: h.Distance, Hint: h.hint})
		}
	}
	return out, nil
}

// nearbyHit is a hit before its report is read.
type nearbyHit struct {
	Candidate
	Distance float64
	hint     bool // to be shown as a duplicate hint only (PublicNearby)
}

// AddSupport records that the caller also sees the problem of an open
// report. Each person counts once; it returns the report with its count.
func (s *ReportService) AddSupport(ctx context.Context, p identity.Principal, id string) (*Report, bool, error) {
	if err := p.Require(identity.PermReportsCreate); err != nil {
		return nil, false, err
	}
	notFound := apperr.NotFound(i18n.T("Không tìm thấy phản ánh", "report not found"))
	if !ids.Valid(id) {
		return nil, false, notFound
	}
	r, err := s.store.GetReport(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if !r.IsOpen() {
		return nil, false, apperr.ConflictOf(apperr.KindState, i18n.T("Phản ánh đã xử lý xong, không thể ủng hộ thêm", "the report is no longer open"))
	}
	added, err := s.store.AddSupport(ctx, Support{ReportID: id, UserID: p.UserID, CreatedAt: s.now().UTC()})
	if err != nil {
		return nil, false, err
	}
	r, err = s.store.GetReport(ctx, id)
	return r, added, err
}

// RerouteInput is a coordinator's correction of a report's routing.
type RerouteInput struct {
	AgencyCode string
	Note       string
	// ExpectedVersion, when set (not 0), must be the report's stored
	// version, as with TransitionInput.ExpectedVersion.
	ExpectedVersion int64
}

// CheckReroute lists what Reroute would refuse in for, writing nothing;
// none when p may not reroute at all (Reroute says so).
func (s *ReportService) CheckReroute(ctx context.Context, p identity.Principal, in RerouteInput) []apperr.FieldError {
	if p.Require(identity.PermReportsAll) != nil {
		return nil
	}
	fs, _, _, _ := s.rerouteFields(ctx, in)
	return fs
}

// rerouteFields checks a reroute's note and agency against the reference
// data it returns, with the agency found.
func (s *ReportService) rerouteFields(ctx context.Context, in RerouteInput) ([]apperr.FieldError, *Reference, Agency, error) {
	var fs []apperr.FieldError
	if n := utf8.RuneCountInString(clean(in.Note)); n < 3 || n > 500 {
		fs = append(fs, fieldErr("note", "Lý do từ 3 đến 500 ký tự", "must be 3 to 500 characters"))
	}
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil, nil, Agency{}, err
	}
	agency, ok := activeAgency(ref, in.AgencyCode)
	if !ok {
		fs = append(fs, fieldErr("agency_code", "Cơ quan không tồn tại hoặc đã ngừng hoạt động", "is not an active agency"))
	}
	return fs, ref, agency, nil
}

// Reroute sends a report to another agency without changing its status: a
// coordinator's correction of the routing. It is recorded in the history as
// a transfer, and the new agency's clock starts. A stale ExpectedVersion is
// ErrStaleForm.
func (s *ReportService) Reroute(ctx context.Context, p identity.Principal, id string, in RerouteInput) (*Report, error) {
	if err := p.Require(identity.PermReportsAll); err != nil {
		return nil, err
	}
	note := clean(in.Note)
	fs, ref, agency, err := s.rerouteFields(ctx, in)
	if err != nil {
		return nil, err
	}
	if len(fs) > 0 {
		return nil, apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fs...)
	}
	r, _, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(r, in.ExpectedVersion); err != nil {
		return nil, err
	}
	if !r.IsOpen() {
		return nil, apperr.ConflictOf(apperr.KindState, i18n.T("Phản ánh đã xử lý xong", "the report is no longer open"))
	}
	now := s.now()
	next := *r
	next.Version++
	next.AgencyCode, next.RoutingRule, next.UpdatedAt = agency.Code, "", now.UTC()
	next.RoutingReason = i18n.T("điều phối chuyển đến "+agency.Name.Vi+": "+note, "re-routed by the coordinator to "+agency.Name.In(i18n.EN)+": "+note)
	if cat, ok := categoryOf(ref, r.CategoryCode); ok {
		next.Deadlines = ref.Calendar.DeadlinesFor(now, cat, r.Urgent)
		if r.DispatchedAt != nil {
			// Already dispatched: the new agency has it now.
			next.Deadlines.ResponseDue = ref.Calendar.ResponseDueFrom(now, cat, r.Urgent)
		}
	}
	ev := Event{ReportID: r.ID, Version: next.Version, Action: ActTransfer, FromStatus: r.Status, ToStatus: r.Status,
		ActorID: p.UserID, ActorRole: p.Role, ToAgency: agency.Code, Note: note, At: now.UTC()}
	ev.Notify = notificationsFor(r, &next, ev)
	if err := s.store.Transition(ctx, &next, ev); err != nil {
		return nil, err
	}
	return &next, nil
}

// Transition takes a workflow action on a report the caller can see. An
// action the caller may not take now is ECONFLICT listing the ones it may;
// a concurrent change makes the slower one ECONFLICT too.
func (s *ReportService) Transition(ctx context.Context, p identity.Principal, id string, in TransitionInput) (*Report, View, error) {
	if p.IsAnonymous() {
		return nil, 0, identity.ErrUnauthenticated()
	}
	r, view, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, 0, err
	}
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil, 0, err
	}
	var fs []apperr.FieldError
	if in.DuplicateOf != "" {
		if _, err := s.store.GetReport(ctx, in.DuplicateOf); err != nil {
			fs = append(fs, fieldErr("duplicate_of", "Phản ánh gốc không tồn tại", "no report has this id"))
		}
	}
	next, ev, err := Apply(p, r, in, s.now(), ref)
	if len(fs) > 0 && (err == nil || apperr.CodeOf(err) == apperr.EINVALID) {
		return nil, 0, apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), append(fs, invalidFields(err)...)...)
	}
	if err != nil {
		return nil, 0, err
	}
	if err := s.store.Transition(ctx, next, ev); err != nil {
		return nil, 0, err
	}
	return next, view, nil
}

// CheckTransition lists every field of in that Transition would refuse
// on report id, writing nothing; none when p may not see the report or
// take the action at all (Transition says so).
func (s *ReportService) CheckTransition(ctx context.Context, p identity.Principal, id string, in TransitionInput) []apperr.FieldError {
	if p.IsAnonymous() {
		return nil
	}
	r, _, err := s.Get(ctx, p, id)
	if err != nil {
		return nil
	}
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil
	}
	_, _, err = Apply(p, r, in, s.now(), ref)
	return invalidFields(err)
}

// History returns a report's events to those who may see the report.
func (s *ReportService) History(ctx context.Context, p identity.Principal, id string) ([]Event, View, error) {
	r, view, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, 0, err
	}
	events, err := s.store.History(ctx, r.ID)
	return events, view, err
}
