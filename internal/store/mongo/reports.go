package mongo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

const (
	collReports     = "reports"
	collIdempotency = "idempotency_keys"
	collSupports    = "report_supports"
)

type reportDoc struct {
	ID              string     `bson:"_id"`
	TrackingCode    string     `bson:"tracking_code"`
	ReporterID      string     `bson:"reporter_id"`
	Anonymous       bool       `bson:"anonymous"`
	ContactPhone    string     `bson:"contact_phone"`
	CategoryCode    string     `bson:"category_code"`
	AreaCode        string     `bson:"area_code"`
	AgencyCode      string     `bson:"agency_code"`
	RoutingRule     string     `bson:"routing_rule"`
	RoutingReasonVi string     `bson:"routing_reason_vi"`
	RoutingReasonEn string     `bson:"routing_reason_en"`
	Title           string     `bson:"title"`
	Description     string     `bson:"description"`
	Address         string     `bson:"address"`
	Lat             float64    `bson:"lat"`
	Lng             float64    `bson:"lng"`
	Cell            string     `bson:"cell"`
	Urgent          bool       `bson:"urgent"`
	Locale          string     `bson:"locale"`
	Status          string     `bson:"status"`
	DispatchDue     time.Time  `bson:"dispatch_due"`
	ResponseDue     time.Time  `bson:"response_due"`
	ResolutionDue   time.Time  `bson:"resolution_due"`
	ClientCreatedAt *time.Time `bson:"client_created_at,omitempty"`
	CreatedAt       time.Time  `bson:"created_at"`
	UpdatedAt       time.Time  `bson:"updated_at"`
	Version         int64      `bson:"version"`
	SupportCount    int        `bson:"support_count"`
	Answer          string     `bson:"answer"`
	ResolvedAt      *time.Time `bson:"resolved_at,omitempty"`
	DispatchedAt    *time.Time `bson:"dispatched_at,omitempty"`
	RespondedAt     *time.Time `bson:"responded_at,omitempty"`
	RejectReason    string     `bson:"reject_reason"`
	DuplicateOf     string     `bson:"duplicate_of"`
	Extension       *extDoc    `bson:"extension,omitempty"`
	NextDue         *time.Time `bson:"next_due"`      // null for handled reports
	Search          string     `bson:"search"`        // folded title, description and answer
	SearchTokens    []string   `bson:"search_tokens"` // every word prefix of search (searchTokens)
}

type extDoc struct {
	DueAt       time.Time `bson:"due_at"`
	Reason      string    `bson:"reason"`
	RequestedAt time.Time `bson:"requested_at"`
}

func toReportDoc(r *feedback.Report) reportDoc {
	d := reportDoc{ID: r.ID, TrackingCode: r.TrackingCode, ReporterID: r.ReporterID, Anonymous: r.Anonymous, ContactPhone: r.ContactPhone,
		CategoryCode: r.CategoryCode, AreaCode: r.AreaCode, AgencyCode: r.AgencyCode, RoutingRule: r.RoutingRule,
		RoutingReasonVi: r.RoutingReason.Vi, RoutingReasonEn: r.RoutingReason.En, Title: r.Title, Description: r.Description,
		Address: r.Address, Lat: r.Location.Lat, Lng: r.Location.Lng, Cell: r.Cell, Urgent: r.Urgent,
		Locale: string(r.Locale), Status: string(r.Status), DispatchDue: r.Deadlines.DispatchDue.UTC(), ResponseDue: r.Deadlines.ResponseDue.UTC(),
		ResolutionDue: r.Deadlines.ResolutionDue.UTC(), ClientCreatedAt: r.ClientCreatedAt, CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version, SupportCount: r.SupportCount, Answer: r.Answer, ResolvedAt: r.ResolvedAt, DispatchedAt: r.DispatchedAt, RespondedAt: r.RespondedAt,
		RejectReason: r.RejectReason, DuplicateOf: r.DuplicateOf}
	d.Search = r.SearchBody()
	d.SearchTokens = searchTokens(d.Search)
	if due := r.NextDue(); !due.IsZero() {
		due = due.UTC()
		d.NextDue = &due
	}
	if r.Extension != nil {
		d.Extension = &extDoc{DueAt: r.Extension.DueAt.UTC(), Reason: r.Extension.Reason, RequestedAt: r.Extension.RequestedAt.UTC()}
	}
	return d
}

func (d reportDoc) report() *feedback.Report {
	r := &feedback.Report{ID: d.ID, TrackingCode: d.TrackingCode, ReporterID: d.ReporterID, Anonymous: d.Anonymous, ContactPhone: d.ContactPhone,
		CategoryCode: d.CategoryCode, AreaCode: d.AreaCode, AgencyCode: d.AgencyCode, RoutingRule: d.RoutingRule,
		RoutingReason: i18n.T(d.RoutingReasonVi, d.RoutingReasonEn), Title: d.Title, Description: d.Description, Address: d.Address,
		Location: feedback.Point{Lat: d.Lat, Lng: d.Lng}, Cell: d.Cell, Urgent: d.Urgent, Locale: i18n.Lang(d.Locale),
		Status: feedback.Status(d.Status), Deadlines: feedback.Deadlines{DispatchDue: d.DispatchDue, ResponseDue: d.ResponseDue, ResolutionDue: d.ResolutionDue},
		ClientCreatedAt: d.ClientCreatedAt, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Version: d.Version, SupportCount: d.SupportCount,
		Answer: d.Answer, ResolvedAt: d.ResolvedAt, DispatchedAt: d.DispatchedAt, RespondedAt: d.RespondedAt, RejectReason: d.RejectReason, DuplicateOf: d.DuplicateOf}
	if d.Extension != nil {
		r.Extension = &feedback.Extension{DueAt: d.Extension.DueAt, Reason: d.Extension.Reason, RequestedAt: d.Extension.RequestedAt}
	}
	return r
}

func reportIndexes() map[string][]mongo.IndexModel {
	idx := func(unique bool, keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		m := mongo.IndexModel{Keys: d}
		if unique {
			m.Options = options.Index().SetUnique(true)
		}
		return m
	}
	return map[string][]mongo.IndexModel{
		// The indexes that serve the store's queries are declared next to
		// them (servedBy); these are the ones with options.
		collReports: {idx(true, "tracking_code"), idx(false, "created_at", "_id")},
	}
}

// ReportStore implements feedback.ReportStore.
type ReportStore struct{ db *DB }

var _ feedback.ReportStore = (*ReportStore)(nil)

// Reports returns the report store.
func (db *DB) Reports() feedback.ReportStore { return &ReportStore{db: db} }

func (s *ReportStore) reports() *mongo.Collection { return s.db.db.Collection(collReports) }

type idemDoc struct {
	ID          string    `bson:"_id"`
	Scope       string    `bson:"scope"`
	Key         string    `bson:"key"`
	Gen         int       `bson:"gen"`
	RequestHash string    `bson:"request_hash"`
	ResourceID  string    `bson:"resource_id"`
	CreatedAt   time.Time `bson:"created_at"`
	// ExpiresAt is absent on claims made before keys expired: they last
	// IdempotencyTTL from CreatedAt. A TTL index removes expired claims
	// where the server has TTL; the sweep where it has not.
	ExpiresAt *time.Time `bson:"expires_at,omitempty"`
}

func (d idemDoc) expiresAt() time.Time {
	if d.ExpiresAt == nil {
		return d.CreatedAt.Add(feedback.IdempotencyTTL)
	}
	return *d.ExpiresAt
}

// idemID is the _id of a key's claim of generation gen: each claim made
// after the previous one expired is a new generation, so replacing an
// expired claim is an insert under a unique _id too (FerretDB v1 runs a
// filtered delete or update as a read and a separate write, so it could
// not replace one atomically). Claims from before generations are gen 0.
func idemID(scope, key string, gen int) string {
	if gen == 0 {
		return scope + "|" + key
	}
	return fmt.Sprintf("%s|%s|%d", scope, key, gen)
}

// ixIdempotency finds a key's newest claim.
var ixIdempotency = servedBy(collIdempotency, "ClaimIdempotency: newest claim of a key", asc("scope"), asc("key"), desc("gen"))

// ClaimIdempotency inserts the claim under a unique _id: atomic everywhere.
// When the key's newest claim has expired at k.CreatedAt, it is never
// honoured: the claim goes in as the next generation, which again exactly
// one of concurrent claims inserts.
func (s *ReportStore) ClaimIdempotency(ctx context.Context, k feedback.Idempotency) (feedback.Idempotency, error) {
	if k.ExpiresAt.IsZero() {
		k.ExpiresAt = k.CreatedAt.Add(feedback.IdempotencyTTL)
	}
	coll := s.db.db.Collection(collIdempotency)
	expires := k.ExpiresAt.UTC()
	gen := 0
	for attempt := 0; attempt < 3; attempt++ {
		_, err := coll.InsertOne(ctx, idemDoc{ID: idemID(k.Scope, k.Key, gen), Scope: k.Scope, Key: k.Key, Gen: gen, RequestHash: k.RequestHash,
			ResourceID: k.ResourceID, CreatedAt: k.CreatedAt.UTC(), ExpiresAt: &expires})
		if err == nil {
			return k, nil
		}
		if !isDuplicate(err) {
			return k, internal(err)
		}
		var d idemDoc
		err = coll.FindOne(ctx, bson.D{{Key: "scope", Value: k.Scope}, {Key: "key", Value: k.Key}},
			options.FindOne().SetSort(bson.D{{Key: "gen", Value: -1}}).SetHint(ixIdempotency)).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue // removed by its expiry meanwhile: gen 0 is free again
		}
		if err != nil {
			return k, internal(err)
		}
		if k.CreatedAt.Before(d.expiresAt()) {
			return feedback.Idempotency{Scope: d.Scope, Key: d.Key, RequestHash: d.RequestHash, ResourceID: d.ResourceID, CreatedAt: d.CreatedAt,
					ExpiresAt: d.expiresAt()},
				apperr.ConflictOf(apperr.KindExists, i18n.T("Khóa đã được dùng", "the key is taken"))
		}
		gen = d.Gen + 1
	}
	return k, apperr.Unavailable(fmt.Errorf("mongo: idempotency key %q: no free generation after 3 tries", k.Key))
}

// CreateReport stores a new report.
func (s *ReportStore) CreateReport(ctx context.Context, r *feedback.Report) error {
	r.Version = 1
	_, err := s.reports().InsertOne(ctx, toReportDoc(r))
	if isDuplicate(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Phản ánh đã tồn tại", "the report exists"))
	}
	return internal(err)
}

var _ feedback.Submitter = (*ReportStore)(nil)

// SubmitReport writes a submission in the steps a crash may interrupt
// anywhere without losing an acknowledged report or leaving a half-done
// change: the claim (a unique insert), the report (a unique insert), then
// the dispatch as Transition writes it (its event is the commit point;
// an interrupted one is finished from the event). A claim without its
// report is what a retry finds when the first request died: it stores the
// report then. Unlike Transition, the dispatch starts from the report just
// inserted, without reading it back.
func (s *ReportStore) SubmitReport(ctx context.Context, sub *feedback.Submission) (feedback.SubmitResult, error) {
	var res feedback.SubmitResult
	if sub.Claim != nil {
		got, err := s.ClaimIdempotency(ctx, *sub.Claim)
		switch apperr.CodeOf(err) {
		case "":
		case apperr.ECONFLICT:
			if got.RequestHash != sub.Claim.RequestHash {
				return res, feedback.ErrIdempotencyKeyReused()
			}
			// A retry: its report is the claimed one, stored below unless
			// the first request stored it.
			res.Replayed = true
			sub.Rename(got.ResourceID, sub.Report.TrackingCode)
		default:
			return res, err
		}
	}
	for attempt := 0; ; attempt++ {
		err := s.CreateReport(ctx, sub.Report)
		if err == nil {
			break
		}
		if apperr.CodeOf(err) != apperr.ECONFLICT {
			return feedback.SubmitResult{}, err
		}
		if existing, gerr := s.GetReport(ctx, sub.Report.ID); gerr == nil {
			res.Report = existing
			return res, nil
		}
		if attempt == 3 {
			return feedback.SubmitResult{}, err
		}
		sub.Rename(sub.Report.ID, feedback.NewTrackingCode()) // a tracking code clash
	}
	res.Report = sub.Report
	// If the dispatch fails the report waits for the coordinator.
	if sub.Dispatched != nil && s.transition(ctx, sub.Report, sub.Dispatched, sub.Event) == nil {
		res.Report = sub.Dispatched
	}
	return res, nil
}

var _ feedback.BulkReportStore = (*ReportStore)(nil)

// CreateReports inserts many reports in one unordered InsertMany. (Not
// atomic across documents: on an error some may be stored.)
func (s *ReportStore) CreateReports(ctx context.Context, rs []feedback.Report) error {
	if len(rs) == 0 {
		return nil
	}
	docs := make([]any, len(rs))
	for i := range rs {
		rs[i].Version = 1
		docs[i] = toReportDoc(&rs[i])
	}
	_, err := s.reports().InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if isDuplicate(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Phản ánh đã tồn tại", "the report exists"))
	}
	return internal(err)
}

// GetReport returns a report by ID, its support count counted afresh.
func (s *ReportStore) GetReport(ctx context.Context, id string) (*feedback.Report, error) {
	var d reportDoc
	err := s.reports().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy phản ánh", "report not found"))
	}
	if err != nil {
		return nil, internal(err)
	}
	if fixed, err := s.catchUp(ctx, d); err != nil {
		return nil, err
	} else if fixed != nil {
		d = *fixed
	}
	n, err := s.db.db.Collection(collSupports).CountDocuments(ctx, bson.D{{Key: "report_id", Value: id}}) // ixSupports
	if err != nil {
		return nil, internal(err)
	}
	d.SupportCount = int(n)
	return d.report(), nil
}

var ixSupports = servedBy(collSupports, "GetReport: support count", asc("report_id"))

func (s *ReportStore) find(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]feedback.Report, error) {
	return findAll(ctx, s.reports(), filter, opts, func(d reportDoc) feedback.Report { return *d.report() })
}

// ListByReporter returns a reporter's reports, newest first.
func (s *ReportStore) ListByReporter(ctx context.Context, reporterID, before string, limit int) ([]feedback.Report, error) {
	filter := bson.D{{Key: "reporter_id", Value: reporterID}}
	if before != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: before}}})
	}
	return s.find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)).SetHint(ixByReporter))
}

var ixByReporter = servedBy(collReports, "ListByReporter", asc("reporter_id"), desc("_id"))

// NearbyCandidates returns IDs and places of reports in the cells.
func (s *ReportStore) NearbyCandidates(ctx context.Context, cells []string, category string, statuses []feedback.Status) ([]feedback.Candidate, error) {
	st := bson.A{}
	for _, x := range statuses {
		st = append(st, string(x))
	}
	cs := bson.A{}
	for _, c := range cells {
		cs = append(cs, c)
	}
	filter := bson.D{{Key: "cell", Value: bson.D{{Key: "$in", Value: cs}}}, {Key: "status", Value: bson.D{{Key: "$in", Value: st}}}}
	if category != "" {
		filter = append(filter, bson.E{Key: "category_code", Value: category})
	}
	type place struct {
		ID       string  `bson:"_id"`
		Lat      float64 `bson:"lat"`
		Lng      float64 `bson:"lng"`
		Status   string  `bson:"status"`
		Reporter string  `bson:"reporter_id"`
	}
	return findAll(ctx, s.reports(), filter, options.Find().SetProjection(bson.D{{Key: "lat", Value: 1}, {Key: "lng", Value: 1},
		{Key: "status", Value: 1}, {Key: "reporter_id", Value: 1}}).SetHint(ixNearby),
		func(d place) feedback.Candidate {
			return feedback.Candidate{ID: d.ID, Location: feedback.Point{Lat: d.Lat, Lng: d.Lng}, Status: feedback.Status(d.Status), ReporterID: d.Reporter}
		})
}

var ixNearby = servedBy(collReports, "NearbyCandidates", asc("cell"), asc("status"), asc("category_code"))

// GetReports returns the reports with the IDs.
func (s *ReportStore) GetReports(ctx context.Context, ids []string) ([]feedback.Report, error) {
	if len(ids) == 0 {
		return []feedback.Report{}, nil
	}
	list := bson.A{}
	for _, id := range ids {
		list = append(list, id)
	}
	return s.find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: list}}}}, options.Find())
}

// AddSupport inserts one support per person under a unique _id, then bumps
// the report's count (exact on MongoDB; GetReport recounts, so a single
// report is exact on FerretDB too).
func (s *ReportStore) AddSupport(ctx context.Context, sup feedback.Support) (bool, error) {
	if _, err := s.GetReport(ctx, sup.ReportID); err != nil {
		return false, err
	}
	_, err := s.db.db.Collection(collSupports).InsertOne(ctx, bson.D{{Key: "_id", Value: sup.ReportID + "|" + sup.UserID},
		{Key: "report_id", Value: sup.ReportID}, {Key: "user_id", Value: sup.UserID}, {Key: "created_at", Value: sup.CreatedAt.UTC()}})
	if isDuplicate(err) {
		return false, nil
	}
	if err != nil {
		return false, internal(err)
	}
	_, err = s.reports().UpdateOne(ctx, bson.D{{Key: "_id", Value: sup.ReportID}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "support_count", Value: 1}}}})
	return true, internal(err)
}

// UpdateReport writes the fields of r that differ from the stored report
// at r.Version, and only those, if the version still matches: a counter
// incremented meanwhile ($inc support_count) is never rewritten.
// (The version guard is atomic on MongoDB; FerretDB v1 runs the filter
// and the write apart, so workflow changes go through Transition, whose
// unique event insert decides between concurrent changes.)
func (s *ReportStore) UpdateReport(ctx context.Context, r *feedback.Report) error {
	cur, err := s.GetReport(ctx, r.ID) // also finishes an interrupted change
	if err != nil {
		return err
	}
	if cur.Version != r.Version {
		return errStale()
	}
	set, unset, err := reportChanges(toReportDoc(cur), toReportDoc(r))
	if err != nil {
		return apperr.Internal(err)
	}
	matched, err := s.applyChanges(ctx, r.ID, r.Version+1, set, unset)
	if err != nil {
		return err
	}
	if !matched {
		return errStale()
	}
	r.Version++
	return nil
}

func errStale() error {
	return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Phản ánh vừa được thay đổi bởi thao tác khác; hãy tải lại", "the report was changed meanwhile; reload it"))
}

// Fields a change never writes: the identity, the version (set by
// applyChanges) and the support counter (only ever $inc'ed by AddSupport).
var unchangedFields = map[string]bool{"_id": true, "version": true, "support_count": true}

// reportChanges lists what turns prev into next: the fields to $set (as
// they are stored) and those to $unset (optional fields that became empty).
func reportChanges(prev, next reportDoc) (bson.Raw, []string, error) {
	a, err := bson.Marshal(prev)
	if err != nil {
		return nil, nil, err
	}
	b, err := bson.Marshal(next)
	if err != nil {
		return nil, nil, err
	}
	old := map[string]bson.RawValue{}
	elems, err := bson.Raw(a).Elements()
	if err != nil {
		return nil, nil, err
	}
	for _, e := range elems {
		old[e.Key()] = e.Value()
	}
	set := bson.D{}
	seen := map[string]bool{}
	elems, err = bson.Raw(b).Elements()
	if err != nil {
		return nil, nil, err
	}
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		seen[k] = true
		if unchangedFields[k] {
			continue
		}
		if o, ok := old[k]; !ok || !o.Equal(v) {
			set = append(set, bson.E{Key: k, Value: v})
		}
	}
	var unset []string
	for k := range old {
		if !seen[k] && !unchangedFields[k] {
			unset = append(unset, k)
		}
	}
	sort.Strings(unset)
	raw, err := bson.Marshal(set)
	return raw, unset, err
}

// applyChanges moves a report from version-1 to version by setting and
// unsetting the changed fields. The version is set, not incremented: the
// write is idempotent, so the repair of an interrupted change may race the
// change itself (on an engine whose filtered updates are not atomic, such
// as FerretDB v1) and both leave the same report. It reports whether the
// report was at version-1.
func (s *ReportStore) applyChanges(ctx context.Context, id string, version int64, set bson.Raw, unset []string) (bool, error) {
	fields := bson.D{}
	if len(set) > 0 {
		elems, err := set.Elements()
		if err != nil {
			return false, apperr.Internal(err)
		}
		for _, e := range elems {
			fields = append(fields, bson.E{Key: e.Key(), Value: e.Value()})
		}
	}
	update := bson.D{{Key: "$set", Value: append(fields, bson.E{Key: "version", Value: version})}}
	if len(unset) > 0 {
		u := bson.D{}
		for _, k := range unset {
			u = append(u, bson.E{Key: k, Value: ""})
		}
		update = append(update, bson.E{Key: "$unset", Value: u})
	}
	res, err := s.reports().UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: version - 1}}, update)
	if err != nil {
		return false, internal(err)
	}
	return res.MatchedCount == 1, nil
}

// eventDoc is a history entry. Its _id, "report#version", is unique: the
// insert is the compare-and-swap, atomic on MongoDB and FerretDB alike. It
// holds what the change did to the report (Set, Unset: the changed fields
// only, never a copy of the report) and the change's outbox entries, so a
// change interrupted after the insert is finished from the event alone.
type eventDoc struct {
	ID          string     `bson:"_id"`
	ReportID    string     `bson:"report_id"`
	Version     int64      `bson:"version"`
	Action      string     `bson:"action"`
	FromStatus  string     `bson:"from_status"`
	ToStatus    string     `bson:"to_status"`
	ActorID     string     `bson:"actor_id"`
	ActorRole   string     `bson:"actor_role"`
	AgencyCode  string     `bson:"agency_code"`
	ToAgency    string     `bson:"to_agency"`
	Note        string     `bson:"note"`
	DueAt       *time.Time `bson:"due_at,omitempty"`
	DuplicateOf string     `bson:"duplicate_of"`
	At          time.Time  `bson:"at"`
	// Set and Unset are the report's changed fields.
	Set   bson.Raw `bson:"set,omitempty"`
	Unset []string `bson:"unset,omitempty"`
	// Notify holds the change's outbox entries.
	Notify []notificationDoc `bson:"notify,omitempty"`
	// Pending stays set until the report's fields and the outbox entries
	// are written (finishEvent); RepairEvents finds the events a crash
	// left pending.
	Pending bool `bson:"pending,omitempty"`
}

const collEvents = "report_events"

func eventID(reportID string, version int64) string {
	return fmt.Sprintf("%s#%010d", reportID, version)
}

// Transition records a workflow change. Where the server has transactions
// (a replica set or sharded cluster) its writes run in one. Elsewhere they
// run in this order, each step idempotent, so that a crash between two is
// finished later from the event (catchUp on the report's next read,
// RepairEvents at start and before each outbox dispatch):
//
//  1. insert the event (the commit point: a unique _id per version), with
//     the changed fields, the outbox entries and pending set;
//  2. write the changed fields to the report, guarded by its version;
//  3. insert the outbox entries (existing ones are kept);
//  4. clear the event's pending mark.
func (s *ReportStore) Transition(ctx context.Context, next *feedback.Report, ev feedback.Event) error {
	cur, err := s.GetReport(ctx, next.ID) // also finishes an interrupted change
	if err != nil {
		return err
	}
	if cur.Version != next.Version-1 {
		return errStale()
	}
	return s.transition(ctx, cur, next, ev)
}

// transition does Transition's writes for a change from cur, the report as
// stored, to next.
func (s *ReportStore) transition(ctx context.Context, cur, next *feedback.Report, ev feedback.Event) error {
	set, unset, err := reportChanges(toReportDoc(cur), toReportDoc(next))
	if err != nil {
		return apperr.Internal(err)
	}
	e := eventDoc{ID: eventID(ev.ReportID, ev.Version), ReportID: ev.ReportID, Version: ev.Version, Action: string(ev.Action),
		FromStatus: string(ev.FromStatus), ToStatus: string(ev.ToStatus), ActorID: ev.ActorID, ActorRole: string(ev.ActorRole),
		AgencyCode: ev.AgencyCode, ToAgency: ev.ToAgency, Note: ev.Note, DueAt: ev.DueAt, DuplicateOf: ev.DuplicateOf, At: ev.At.UTC(),
		Set: set, Unset: unset, Notify: toNotificationDocs(ev.Notify), Pending: true}
	if s.db.txn {
		return s.db.inTransaction(ctx, func(ctx context.Context) error {
			e.Pending = false
			if err := s.insertEvent(ctx, e); err != nil {
				return err
			}
			if ok, err := s.applyChanges(ctx, e.ReportID, e.Version, e.Set, e.Unset); err != nil {
				return err
			} else if !ok {
				return errStale()
			}
			return s.writeOutbox(ctx, e.Notify)
		})
	}
	if err := s.insertEvent(ctx, e); err != nil {
		return err
	}
	return s.finishEvent(ctx, e)
}

func (s *ReportStore) insertEvent(ctx context.Context, e eventDoc) error {
	if _, err := s.db.db.Collection(collEvents).InsertOne(ctx, e); err != nil {
		if isDuplicate(err) {
			return errStale()
		}
		return internal(err)
	}
	return nil
}

// finishEvent does steps 2 to 4 of Transition for an inserted event. Each
// is idempotent: it may run again, and concurrently with the change itself.
func (s *ReportStore) finishEvent(ctx context.Context, e eventDoc) error {
	// The report is at e.Version-1 (written now), at e.Version or later
	// (nothing to write), never earlier: the previous version's event was
	// finished before this one could be inserted.
	if _, err := s.applyChanges(ctx, e.ReportID, e.Version, e.Set, e.Unset); err != nil {
		return err
	}
	if err := s.writeOutbox(ctx, e.Notify); err != nil {
		return err
	}
	_, err := s.db.db.Collection(collEvents).UpdateOne(ctx, bson.D{{Key: "_id", Value: e.ID}},
		bson.D{{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}}}})
	return internal(err)
}

// catchUp finishes the events stored after d's version (left by a crash
// between an event's insert and the report's write) and returns the
// repaired report, or nil when d is current.
func (s *ReportStore) catchUp(ctx context.Context, d reportDoc) (*reportDoc, error) {
	found := false
	for v := d.Version + 1; ; v++ {
		var e eventDoc
		err := s.db.db.Collection(collEvents).FindOne(ctx, bson.D{{Key: "_id", Value: eventID(d.ID, v)}}).Decode(&e)
		if errors.Is(err, mongo.ErrNoDocuments) {
			break
		}
		if err != nil {
			return nil, internal(err)
		}
		if err := s.finishEvent(ctx, e); err != nil {
			return nil, err
		}
		found = true
	}
	if !found {
		return nil, nil
	}
	var fixed reportDoc
	if err := s.reports().FindOne(ctx, bson.D{{Key: "_id", Value: d.ID}}).Decode(&fixed); err != nil {
		return nil, internal(err)
	}
	return &fixed, nil
}

// RepairEvents finishes every change a crash interrupted after its event
// was inserted (the events still marked pending), oldest first, and returns
// how many it finished. The server runs it at start; the outbox dispatch
// runs it before each batch, so no notification waits for a restart.
func (s *ReportStore) RepairEvents(ctx context.Context) (int, error) {
	events, err := findAll(ctx, s.db.db.Collection(collEvents), bson.D{{Key: "pending", Value: true}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(500).SetHint(ixPendingEvents), func(e eventDoc) eventDoc { return e })
	if err != nil {
		return 0, err
	}
	for i, e := range events {
		if err := s.finishEvent(ctx, e); err != nil {
			return i, err
		}
	}
	return len(events), nil
}

var ixPendingEvents = servedBy(collEvents, "RepairEvents", asc("pending"), asc("_id"))

// History returns a report's events, oldest first.
func (s *ReportStore) History(ctx context.Context, reportID string) ([]feedback.Event, error) {
	return findAll(ctx, s.db.db.Collection(collEvents), bson.D{{Key: "report_id", Value: reportID}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetProjection(bson.D{{Key: "set", Value: 0}, {Key: "unset", Value: 0}, {Key: "notify", Value: 0}}).SetHint(ixHistory),
		func(e eventDoc) feedback.Event {
			return feedback.Event{ReportID: e.ReportID, Version: e.Version, Action: feedback.Action(e.Action), FromStatus: feedback.Status(e.FromStatus),
				ToStatus: feedback.Status(e.ToStatus), ActorID: e.ActorID, ActorRole: identity.Role(e.ActorRole), AgencyCode: e.AgencyCode,
				ToAgency: e.ToAgency, Note: e.Note, DueAt: e.DueAt, DuplicateOf: e.DuplicateOf, At: e.At}
		})
}

var ixHistory = servedBy(collEvents, "History", asc("report_id"), asc("_id"))

// Queue returns a page of a work queue.
func (s *ReportStore) Queue(ctx context.Context, f feedback.QueueFilter) ([]feedback.Report, error) {
	st := bson.A{}
	for _, x := range f.Statuses {
		st = append(st, string(x))
	}
	filter := append(bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: st}}}}, queueFilter(f)...)
	if c := f.After; c != nil {
		// Handled reports have a null next_due, which sorts before every
		// time: after one of them come the other nulls with a greater ID,
		// then every report with a time.
		var due, later any = c.NextDue.UTC(), bson.D{{Key: "$gt", Value: c.NextDue.UTC()}}
		if c.NextDue.IsZero() {
			due, later = nil, bson.D{{Key: "$ne", Value: nil}}
		}
		var sameUrgent bson.A
		sameUrgent = append(sameUrgent, bson.D{{Key: "urgent", Value: c.Urgent}, {Key: "next_due", Value: later}},
			bson.D{{Key: "urgent", Value: c.Urgent}, {Key: "next_due", Value: due}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: c.ID}}}})
		if c.Urgent {
			sameUrgent = append(sameUrgent, bson.D{{Key: "urgent", Value: false}})
		}
		filter = append(filter, bson.E{Key: "$or", Value: sameUrgent})
	}
	return s.find(ctx, filter, options.Find().SetSort(bson.D{{Key: "urgent", Value: -1}, {Key: "next_due", Value: 1}, {Key: "_id", Value: 1}}).
		SetLimit(int64(f.Limit)).SetHint(queueIndex(f)))
}

// The queue's indexes: the equality filters, then status (several statuses
// are merged in order from their ranges), then the queue's order. A
// tracking code names one report: its unique index.
var (
	ixQueueAgencyCategory = servedBy(collReports, "Queue, QueueCounts: agency and category", asc("agency_code"), asc("category_code"), asc("status"),
		desc("urgent"), asc("next_due"), asc("_id"))
	ixQueueAgency   = servedBy(collReports, "Queue, QueueCounts: agency", asc("agency_code"), asc("status"), desc("urgent"), asc("next_due"), asc("_id"))
	ixQueueCategory = servedBy(collReports, "Queue, QueueCounts: every agency, one category", asc("category_code"), asc("status"), desc("urgent"),
		asc("next_due"), asc("_id"))
	ixQueueAll     = servedBy(collReports, "Queue, QueueCounts: every agency", asc("status"), desc("urgent"), asc("next_due"), asc("_id"))
	ixTrackingCode = servedBy(collReports, "Queue: tracking code", asc("tracking_code"))
)

// queueIndex is the declared index that serves f.
func queueIndex(f feedback.QueueFilter) bson.D {
	switch {
	case f.TrackingCode != "":
		return ixTrackingCode
	case len(f.Terms) > 0 && f.AgencyCode != "":
		return ixQueueSearchAgency
	case len(f.Terms) > 0:
		return ixQueueSearch
	case f.AgencyCode != "" && f.CategoryCode != "":
		return ixQueueAgencyCategory
	case f.AgencyCode != "":
		return ixQueueAgency
	case f.CategoryCode != "":
		return ixQueueCategory
	}
	return ixQueueAll
}

// queueFilter is the part of a queue's filter that Queue and QueueCounts
// share: everything but statuses and the page.
func queueFilter(f feedback.QueueFilter) bson.D {
	var filter bson.D
	if f.AgencyCode != "" {
		filter = append(filter, bson.E{Key: "agency_code", Value: f.AgencyCode})
	}
	if f.CategoryCode != "" {
		filter = append(filter, bson.E{Key: "category_code", Value: f.CategoryCode})
	}
	if f.TrackingCode != "" {
		filter = append(filter, bson.E{Key: "tracking_code", Value: f.TrackingCode})
	}
	if f.ExtensionPending {
		filter = append(filter, bson.E{Key: "extension", Value: bson.D{{Key: "$exists", Value: true}}})
	}
	if f.DueBefore != nil {
		filter = append(filter, bson.E{Key: "next_due", Value: bson.D{{Key: "$lt", Value: f.DueBefore.UTC()}}})
	}
	return append(filter, termsFilter(f.Terms)...)
}

// QueueCounts counts a queue's reports per status in one $match and
// $group, hinted to the queue's index for f (equality filters, then
// status): its cost is the number of matching index entries, so it grows
// with the agency's reports. (Counters kept per agency, category and
// status would not: they need an increment that is atomic and applied
// exactly once per change, which FerretDB v1's $inc and the repairable
// steps of Transition do not give without more machinery; see
// ratings.go and surveys.go for what that takes.) Overdue counts name the
// open statuses and both urgencies, so the index is searched up to the
// time for each, and only the overdue entries are read.
func (s *ReportStore) QueueCounts(ctx context.Context, f feedback.QueueFilter) (map[feedback.Status]int, error) {
	var match bson.D
	if f.DueBefore != nil && f.TrackingCode == "" && len(f.Terms) == 0 {
		open := bson.A{}
		for _, st := range feedback.OpenStatuses {
			open = append(open, string(st))
		}
		match = bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: open}}},
			{Key: "urgent", Value: bson.D{{Key: "$in", Value: bson.A{true, false}}}}}
	}
	match = append(match, queueFilter(f)...)
	if match == nil {
		match = bson.D{}
	}
	cur, err := s.reports().Aggregate(ctx, mongo.Pipeline{
		{{Key: "$match", Value: match}},
		{{Key: "$group", Value: bson.D{{Key: "_id", Value: "$status"}, {Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
	}, options.Aggregate().SetHint(queueIndex(f)))
	if err != nil {
		return nil, internal(err)
	}
	defer cur.Close(ctx)
	out := map[feedback.Status]int{}
	for cur.Next(ctx) {
		var g struct {
			Status string `bson:"_id"`
			N      int    `bson:"n"`
		}
		if err := cur.Decode(&g); err != nil {
			return nil, internal(err)
		}
		out[feedback.Status(g.Status)] = g.N
	}
	return out, internal(cur.Err())
}

// Feed returns public reports, newest first. Each search term must start a
// word of the folded text (a regex: FerretDB has no text index).
func (s *ReportStore) Feed(ctx context.Context, f feedback.FeedFilter) ([]feedback.Report, string, error) {
	if f.BBox != nil && len(f.Terms) == 0 {
		if list, next, done, err := s.feedInBox(ctx, f); err != nil || done { // feedbox.go
			return list, next, err
		}
	}
	st := bson.A{}
	for _, x := range f.Statuses {
		st = append(st, string(x))
	}
	filter := bson.D{{Key: "status", Value: bson.D{{Key: "$in", Value: st}}}}
	for key, v := range map[string]string{"category_code": f.CategoryCode, "area_code": f.AreaCode, "agency_code": f.AgencyCode} {
		if v != "" {
			filter = append(filter, bson.E{Key: key, Value: v})
		}
	}
	if b := f.BBox; b != nil {
		filter = append(filter, bson.E{Key: "lng", Value: bson.D{{Key: "$gte", Value: b[0]}, {Key: "$lte", Value: b[2]}}},
			bson.E{Key: "lat", Value: bson.D{{Key: "$gte", Value: b[1]}, {Key: "$lte", Value: b[3]}}})
	}
	if f.Since != nil {
		filter = append(filter, bson.E{Key: "created_at", Value: bson.D{{Key: "$gte", Value: f.Since.UTC()}}})
	}
	if f.Since != nil {
		// Identifiers follow creation time: start at the first one made a
		// little before since instead of walking every older report.
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gte", Value: ids.Floor(f.Since.Add(-sinceSlack))}}})
	}
	filter = append(filter, termsFilter(f.Terms)...)
	before, err := feedBefore(f)
	if err != nil {
		return nil, "", err
	}
	if before != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: before}}})
	}
	list, err := s.find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(f.Limit)).SetHint(feedIndex(f)))
	if err != nil || len(list) < f.Limit {
		return list, "", err
	}
	return list, base64.RawURLEncoding.EncodeToString([]byte("m" + list[len(list)-1].ID)), nil
}

// feedBefore is the identifier a page of the feed starts below: its
// cursor's, or "" for the first page.
func feedBefore(f feedback.FeedFilter) (string, error) {
	if f.Cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
	if err != nil || !strings.HasPrefix(string(b), "m") {
		return "", apperr.Invalid(i18n.T("Con trỏ trang không hợp lệ", "invalid cursor"),
			apperr.FieldError{Field: "cursor", Message: i18n.T("Con trỏ trang không hợp lệ", "is not a valid cursor")})
	}
	return string(b[1:]), nil
}

// sinceSlack is how far, at most, a report's identifier (made from the
// clock) may run ahead of its created_at.
const sinceSlack = 10 * time.Minute

// feedIndexes are the feed's indexes: equality filters, then status (the
// five public statuses are merged in order from their ranges), then _id
// downwards, newest first. With all three filters the first pair serves.
var feedIndexes = []struct {
	eq   []string
	keys bson.D
}{
	{[]string{"category_code", "area_code"}, servedBy(collReports, "Feed: category and area", asc("category_code"), asc("area_code"), asc("status"), desc("_id"))},
	{[]string{"category_code", "agency_code"}, servedBy(collReports, "Feed: category and agency", asc("category_code"), asc("agency_code"), asc("status"), desc("_id"))},
	{[]string{"area_code", "agency_code"}, servedBy(collReports, "Feed: area and agency", asc("area_code"), asc("agency_code"), asc("status"), desc("_id"))},
	{[]string{"category_code"}, servedBy(collReports, "Feed: category", asc("category_code"), asc("status"), desc("_id"))},
	{[]string{"area_code"}, servedBy(collReports, "Feed: area", asc("area_code"), asc("status"), desc("_id"))},
	{[]string{"agency_code"}, servedBy(collReports, "Feed: agency", asc("agency_code"), asc("status"), desc("_id"))},
	{nil, servedBy(collReports, "Feed: no filter, status", asc("status"), desc("_id"))},
}

// feedIndex is the declared index that serves f.
func feedIndex(f feedback.FeedFilter) bson.D {
	if len(f.Terms) > 0 {
		return ixFeedSearch
	}
	set := map[string]bool{"category_code": f.CategoryCode != "", "area_code": f.AreaCode != "", "agency_code": f.AgencyCode != ""}
	for _, ix := range feedIndexes {
		all := true
		for _, k := range ix.eq {
			all = all && set[k]
		}
		if all {
			return ix.keys
		}
	}
	return feedIndexes[len(feedIndexes)-1].keys
}

var ixResolved = servedBy(collReports, "ResolvedBefore", asc("status"), asc("resolved_at"))

// ResolvedBefore returns resolved reports whose resolution is older than t.
func (s *ReportStore) ResolvedBefore(ctx context.Context, t time.Time, limit int) ([]feedback.Report, error) {
	return s.find(ctx, bson.D{{Key: "status", Value: string(feedback.StatusResolved)}, {Key: "resolved_at", Value: bson.D{{Key: "$lt", Value: t.UTC()}}}},
		options.Find().SetSort(bson.D{{Key: "resolved_at", Value: 1}}).SetLimit(int64(limit)).SetHint(ixResolved))
}
