package mongo

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
	"camaug/survey"
)

// Surveys without transactions. Every unit of work is made of single-
// document writes ordered so that a failure leaves a state that is either
// harmless or repaired later:
//
//   - A survey update inserts its next revision as a document with a unique
//     _id (the compare-and-swap, reliable on MongoDB and FerretDB alike),
//     then writes the survey; a read catches up on a revision left by a crash
//     in between, as reports do with their events.
//   - A response first spends its claim by inserting a claim document with a
//     unique _id ("t:"+token hash, "p:"+survey+"/"+participant), then stores
//     the response marked pending, adds its counts with one $inc upsert on
//     the bucket document that holds its counters (see bucketDoc), and
//     clears the mark. A crash after the response is stored leaves it
//     pending; RepairPending recounts such surveys.
//
// Counters kept before buckets, one document each in survey_counts, are
// not read: after upgrading, run `camaug reindex` once.
const (
	collSurveys         = "surveys"
	collSurveyRevisions = "survey_revisions"
	collSurveyVersions  = "survey_versions"
	collInvitations     = "survey_invitations"
	collSurveyClaims    = "survey_claims"
	collResponses       = "survey_responses"
	collSurveyBuckets   = "survey_buckets"
)

// surveyIndexes are the indexes of the survey collections.
func surveyIndexes() map[string][]mongo.IndexModel {
	idx := func(keys ...string) mongo.IndexModel {
		d := bson.D{}
		for _, k := range keys {
			d = append(d, bson.E{Key: k, Value: 1})
		}
		return mongo.IndexModel{Keys: d}
	}
	return map[string][]mongo.IndexModel{
		// A survey's responses in ID order (export, reindex), and the
		// pending ones a crash left.
		collResponses: {idx("survey_id", "_id"), idx("pending", "submitted_at")},
		// A survey's counters over a range of months.
		collSurveyBuckets: {idx("survey_id", "period")},
		// A survey's invitation batches, counted on the admin's page.
		collInvitations: {idx("survey_id", "batch")},
	}
}

// SurveyStore implements survey.Store.
type SurveyStore struct{ db *DB }

var _ survey.Store = (*SurveyStore)(nil)

// Surveys returns the survey store.
func (db *DB) Surveys() survey.Store { return &SurveyStore{db: db} }

func (s *SurveyStore) coll(name string) *mongo.Collection { return s.db.db.Collection(name) }

// counting serializes this process's counter writes ($inc upserts) and
// recounts. FerretDB v1 loses concurrent $inc updates of one document, so
// the goroutines of one process must not race on a bucket of counters; on
// a real MongoDB $inc is atomic, across instances too, and the lock only
// limits a process to one counter write (one round trip per response) at a
// time. It is process-wide, not per DB, because the lost updates happen in
// the server, whichever handle sent them.
var counting struct {
	sync.Mutex
	// inflight holds the responses of this process that are stored but
	// not yet counted: a recount leaves them out, as their own $inc is
	// still to come.
	inflight map[string]bool
}

func errSurveyNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy cuộc khảo sát", "survey not found"))
}

func errSurveyStale() error {
	return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Cuộc khảo sát vừa được thay đổi bởi thao tác khác; hãy tải lại",
		"the survey was changed meanwhile; reload it"))
}

func errClaimSpent() error {
	return apperr.ConflictOf(apperr.KindUsed, i18n.T("Phiếu khảo sát này đã được gửi", "this survey was already answered"))
}

func errInvitationNotFound() error {
	return apperr.NotFound(i18n.T("Mã mời không hợp lệ", "unknown invitation"))
}

type periodDoc struct {
	From time.Time `bson:"from"`
	To   time.Time `bson:"to"`
}

type surveyDoc struct {
	ID               string    `bson:"_id"`
	Kind             string    `bson:"kind"`
	Template         string    `bson:"template"`
	TitleVi          string    `bson:"title_vi"`
	TitleEn          string    `bson:"title_en"`
	Period           periodDoc `bson:"period"`
	Status           string    `bson:"status"`
	Questionnaire    bson.Raw  `bson:"questionnaire"` // the JSON form's field names
	Version          int       `bson:"version"`
	PublishedVersion int       `bson:"published_version"`
	CreatedAt        time.Time `bson:"created_at"`
	UpdatedAt        time.Time `bson:"updated_at"`
	Revision         int64     `bson:"revision"`
}

func toSurveyDoc(sv *survey.Survey, revision int64) (surveyDoc, error) {
	q, err := toBSON(sv.Questionnaire)
	return surveyDoc{ID: sv.ID, Kind: string(sv.Kind), Template: sv.Template, TitleVi: sv.Title.Vi, TitleEn: sv.Title.En,
		Period: periodDoc{From: sv.Period.From.UTC(), To: sv.Period.To.UTC()}, Status: string(sv.Status), Questionnaire: q,
		Version: sv.Version, PublishedVersion: sv.PublishedVersion, CreatedAt: sv.CreatedAt.UTC(), UpdatedAt: sv.UpdatedAt.UTC(),
		Revision: revision}, err
}

func (d surveyDoc) survey() (*survey.Survey, error) {
	sv := &survey.Survey{ID: d.ID, Kind: survey.Kind(d.Kind), Template: d.Template, Title: i18n.T(d.TitleVi, d.TitleEn),
		Period: survey.Period{From: d.Period.From, To: d.Period.To}, Status: survey.Status(d.Status), Version: d.Version,
		PublishedVersion: d.PublishedVersion, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Revision: d.Revision}
	return sv, fromBSON(d.Questionnaire, &sv.Questionnaire)
}

// revisionDoc is a survey as an update left it. Its _id, "survey#revision",
// is unique: inserting it is the compare-and-swap. The documents are kept
// (one per edit, a few per survey): deleting one would let a writer still
// holding the revision before it take it again.
type revisionDoc struct {
	ID       string    `bson:"_id"`
	SurveyID string    `bson:"survey_id"`
	Revision int64     `bson:"revision"`
	Survey   surveyDoc `bson:"survey"`
}

func revisionID(surveyID string, revision int64) string {
	return fmt.Sprintf("%s#%010d", surveyID, revision)
}

// CreateSurvey stores a new survey at revision 1.
func (s *SurveyStore) CreateSurvey(ctx context.Context, sv *survey.Survey) error {
	d, err := toSurveyDoc(sv, 1)
	if err != nil {
		return apperr.Internal(err)
	}
	if _, err := s.coll(collSurveys).InsertOne(ctx, d); err != nil {
		if isDuplicate(err) {
			return apperr.ConflictOf(apperr.KindExists, i18n.T("Cuộc khảo sát đã tồn tại", "the survey exists"))
		}
		return internal(err)
	}
	sv.Revision = 1
	return nil
}

// GetSurvey returns a survey by ID, first applying a revision a crash left
// unapplied.
func (s *SurveyStore) GetSurvey(ctx context.Context, id string) (*survey.Survey, error) {
	var d surveyDoc
	err := s.coll(collSurveys).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, errSurveyNotFound()
	}
	if err != nil {
		return nil, internal(err)
	}
	if err := s.catchUp(ctx, &d); err != nil {
		return nil, err
	}
	sv, err := d.survey()
	return sv, apperr.InternalOrNil(err)
}

// catchUp moves d to the latest revision stored for it.
func (s *SurveyStore) catchUp(ctx context.Context, d *surveyDoc) error {
	var latest *surveyDoc
	for rev := d.Revision + 1; ; rev++ {
		var r revisionDoc
		err := s.coll(collSurveyRevisions).FindOne(ctx, bson.D{{Key: "_id", Value: revisionID(d.ID, rev)}}).Decode(&r)
		if errors.Is(err, mongo.ErrNoDocuments) {
			break
		}
		if err != nil {
			return internal(err)
		}
		latest = &r.Survey
	}
	if latest == nil {
		return nil
	}
	_, err := s.coll(collSurveys).ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.ID}, {Key: "revision", Value: bson.D{{Key: "$lt", Value: latest.Revision}}}}, *latest)
	*d = *latest
	return internal(err)
}

// UpdateSurvey takes the next revision by inserting it, then writes the
// survey. On MongoDB the final write's filter (an older revision) is
// atomic with it. FerretDB v1 runs filter and write apart, so a slow writer
// may put an older revision back over a newer one; the newer revision's
// document exists, so the next GetSurvey restores it. ListSurveys does not
// catch up and may show such a survey one revision behind until then.
func (s *SurveyStore) UpdateSurvey(ctx context.Context, sv *survey.Survey) error {
	cur, err := s.GetSurvey(ctx, sv.ID)
	if err != nil {
		return err
	}
	if cur.Revision != sv.Revision {
		return errSurveyStale()
	}
	next := sv.Revision + 1
	d, err := toSurveyDoc(sv, next)
	if err != nil {
		return apperr.Internal(err)
	}
	if _, err := s.coll(collSurveyRevisions).InsertOne(ctx, revisionDoc{ID: revisionID(sv.ID, next), SurveyID: sv.ID, Revision: next, Survey: d}); err != nil {
		if isDuplicate(err) {
			return errSurveyStale()
		}
		return internal(err)
	}
	// The revision is taken and stored: finish even if the caller goes.
	_, err = s.coll(collSurveys).ReplaceOne(context.WithoutCancel(ctx),
		bson.D{{Key: "_id", Value: sv.ID}, {Key: "revision", Value: bson.D{{Key: "$lt", Value: next}}}}, d)
	if err != nil {
		return internal(err)
	}
	sv.Revision = next
	return nil
}

var ixSurveysPage = servedBy(collSurveys, "ListSurveys: newest first", asc("_id"))

// ListSurveys returns surveys newest first.
func (s *SurveyStore) ListSurveys(ctx context.Context, before string, limit int) ([]survey.Survey, error) {
	filter := bson.D{}
	if before != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: before}}})
	}
	docs, err := findAll(ctx, s.coll(collSurveys), filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(limit)).SetHint(ixSurveysPage),
		func(d surveyDoc) surveyDoc { return d })
	if err != nil {
		return nil, err
	}
	out := make([]survey.Survey, 0, len(docs))
	for _, d := range docs {
		sv, err := d.survey()
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, *sv)
	}
	return out, nil
}

type versionDoc struct {
	ID            string    `bson:"_id"` // "survey#number", unique
	SurveyID      string    `bson:"survey_id"`
	Number        int       `bson:"number"`
	Questionnaire bson.Raw  `bson:"questionnaire"`
	PublishedAt   time.Time `bson:"published_at"`
}

func versionID(surveyID string, number int) string { return fmt.Sprintf("%s#%010d", surveyID, number) }

// PutVersion stores a frozen version.
func (s *SurveyStore) PutVersion(ctx context.Context, v survey.Version) error {
	q, err := toBSON(v.Questionnaire)
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = s.coll(collSurveyVersions).InsertOne(ctx, versionDoc{ID: versionID(v.SurveyID, v.Number), SurveyID: v.SurveyID, Number: v.Number,
		Questionnaire: q, PublishedAt: v.PublishedAt.UTC()})
	if isDuplicate(err) {
		return apperr.ConflictOf(apperr.KindState, i18n.T("Phiên bản này đã được công bố", "the version is already published"))
	}
	return internal(err)
}

// GetVersion returns a frozen version.
func (s *SurveyStore) GetVersion(ctx context.Context, surveyID string, number int) (*survey.Version, error) {
	var d versionDoc
	err := s.coll(collSurveyVersions).FindOne(ctx, bson.D{{Key: "_id", Value: versionID(surveyID, number)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy phiên bản của phiếu khảo sát", "survey version not found"))
	}
	if err != nil {
		return nil, internal(err)
	}
	v := &survey.Version{SurveyID: d.SurveyID, Number: d.Number, PublishedAt: d.PublishedAt}
	return v, apperr.InternalOrNil(fromBSON(d.Questionnaire, &v.Questionnaire))
}

type invitationDoc struct {
	TokenHash  string     `bson:"_id"`
	SurveyID   string     `bson:"survey_id"`
	AgencyCode string     `bson:"agency_code"`
	AreaCode   string     `bson:"area_code"`
	CreatedAt  time.Time  `bson:"created_at"`
	UsedAt     *time.Time `bson:"used_at,omitempty"`
	// Batch tags the documents of one CreateInvitations, so a failed
	// call removes what it inserted and nothing else.
	Batch string `bson:"batch"`
}

// CreateInvitations inserts the invitations; if any insert fails it deletes
// those it inserted. (A crash in between can leave part of the batch: the
// caller was not told it succeeded, and the tokens, never handed out, are
// harmless.)
func (s *SurveyStore) CreateInvitations(ctx context.Context, invs []survey.Invitation) error {
	if len(invs) == 0 {
		return nil
	}
	batch := ids.New()
	docs := make([]any, len(invs))
	hashes := make([]string, len(invs))
	for i, inv := range invs {
		var used *time.Time
		if inv.UsedAt != nil {
			t := inv.UsedAt.UTC()
			used = &t
		}
		docs[i] = invitationDoc{TokenHash: inv.TokenHash, SurveyID: inv.SurveyID, AgencyCode: inv.AgencyCode, AreaCode: inv.AreaCode,
			CreatedAt: inv.CreatedAt.UTC(), UsedAt: used, Batch: batch}
		hashes[i] = inv.TokenHash
	}
	_, err := s.coll(collInvitations).InsertMany(ctx, docs)
	if err == nil {
		return nil
	}
	if _, derr := s.coll(collInvitations).DeleteMany(context.WithoutCancel(ctx),
		bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: hashes}}}, {Key: "batch", Value: batch}}); derr != nil {
		return internal(errors.Join(err, derr))
	}
	if isDuplicate(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Mã mời bị trùng", "a duplicate invitation token"))
	}
	return internal(err)
}

// GetInvitation returns an invitation by its token's hash.
func (s *SurveyStore) GetInvitation(ctx context.Context, tokenHash string) (*survey.Invitation, error) {
	var d invitationDoc
	err := s.coll(collInvitations).FindOne(ctx, bson.D{{Key: "_id", Value: tokenHash}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, errInvitationNotFound()
	}
	if err != nil {
		return nil, internal(err)
	}
	return &survey.Invitation{TokenHash: d.TokenHash, SurveyID: d.SurveyID, AgencyCode: d.AgencyCode, AreaCode: d.AreaCode,
		CreatedAt: d.CreatedAt, UsedAt: d.UsedAt}, nil
}

// InvitationBatches counts a survey's invitations by batch, newest first:
// ixInvitationBatches: a survey's invitations, grouped by batch.
var ixInvitationBatches = servedBy(collInvitations, "InvitationBatches", asc("survey_id"), asc("batch"))

// one $group for all and one for the used ones, joined here.
func (s *SurveyStore) InvitationBatches(ctx context.Context, surveyID string) ([]survey.InvitationBatch, error) {
	type key struct {
		Batch      string    `bson:"batch"`
		AgencyCode string    `bson:"agency_code"`
		AreaCode   string    `bson:"area_code"`
		CreatedAt  time.Time `bson:"created_at"`
	}
	count := func(match bson.D) (map[key]int64, error) {
		cur, err := s.coll(collInvitations).Aggregate(ctx, mongo.Pipeline{ // index: ixInvitationBatches
			{{Key: "$match", Value: match}},
			{{Key: "$group", Value: bson.D{
				{Key: "_id", Value: bson.D{{Key: "batch", Value: "$batch"}, {Key: "agency_code", Value: "$agency_code"},
					{Key: "area_code", Value: "$area_code"}, {Key: "created_at", Value: "$created_at"}}},
				{Key: "n", Value: bson.D{{Key: "$sum", Value: 1}}}}}},
		})
		if err != nil {
			return nil, internal(err)
		}
		defer cur.Close(ctx)
		out := map[key]int64{}
		for cur.Next(ctx) {
			var g struct {
				ID key   `bson:"_id"`
				N  int64 `bson:"n"`
			}
			if err := cur.Decode(&g); err != nil {
				return nil, internal(err)
			}
			out[g.ID] += g.N
		}
		return out, internal(cur.Err())
	}
	issued, err := count(bson.D{{Key: "survey_id", Value: surveyID}})
	if err != nil {
		return nil, err
	}
	used, err := count(bson.D{{Key: "survey_id", Value: surveyID}, {Key: "used_at", Value: bson.D{{Key: "$ne", Value: nil}}}})
	if err != nil {
		return nil, err
	}
	out := make([]survey.InvitationBatch, 0, len(issued))
	for k, n := range issued {
		out = append(out, survey.InvitationBatch{AgencyCode: k.AgencyCode, AreaCode: k.AreaCode, CreatedAt: k.CreatedAt, Issued: n, Used: used[k]})
	}
	slices.SortFunc(out, func(a, b survey.InvitationBatch) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(a.AgencyCode, b.AgencyCode), strings.Compare(a.AreaCode, b.AreaCode))
	})
	return out, nil
}

type responseDoc struct {
	ID          string    `bson:"_id"`
	SurveyID    string    `bson:"survey_id"`
	Version     int       `bson:"version"`
	AgencyCode  string    `bson:"agency_code"`
	AreaCode    string    `bson:"area_code"`
	Channel     string    `bson:"channel"`
	Answers     bson.Raw  `bson:"answers"` // the JSON form, as SQLite keeps it
	SubmittedAt time.Time `bson:"submitted_at"`
	// Pending is set until the response's counts are added.
	Pending bool `bson:"pending,omitempty"`
}

func (d responseDoc) response() (survey.Response, error) {
	r := survey.Response{ID: d.ID, SurveyID: d.SurveyID, Version: d.Version, AgencyCode: d.AgencyCode, AreaCode: d.AreaCode,
		Channel: survey.Channel(d.Channel), SubmittedAt: d.SubmittedAt}
	return r, fromBSON(d.Answers, &r.Answers)
}

// bucketDoc holds the counters of one survey version for an agency and
// area in a month: a year of a survey is a few hundred documents, however
// many responses it has. Its _id is that key, so adding a response's
// counts is one $inc upsert by _id; the key's parts are kept too, for the
// index and queries. Counts maps counterField(question, answer) to n.
type bucketDoc struct {
	ID         string   `bson:"_id"`
	SurveyID   string   `bson:"survey_id"`
	Period     string   `bson:"period"`
	AgencyCode string   `bson:"agency_code"`
	AreaCode   string   `bson:"area_code"`
	Version    int      `bson:"version"`
	Counts     bson.Raw `bson:"counts"`
}

// bucketID is the key of the bucket holding c as a JSON array:
// unambiguous whatever the codes hold.
func bucketID(c survey.Count) string {
	b, _ := json.Marshal([]any{c.SurveyID, c.Period, c.AgencyCode, c.AreaCode, c.Version})
	return string(b)
}

// counterField is the name of a counter's field in a bucket's counts:
// question and answer joined by "|", each with '%', '.', '$', '|', NUL and
// bytes that are not UTF-8 written %XX. A field name may then hold any
// code or answer: it never contains '.' or starts with '$', which MongoDB
// forbids, and splits back at its one '|'.
func counterField(question, answer string) string {
	var b strings.Builder
	b.Grow(len(question) + len(answer) + 1)
	escapeField(&b, question)
	b.WriteByte('|')
	escapeField(&b, answer)
	return b.String()
}

func escapeField(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '%', r == '.', r == '$', r == '|', r == 0:
			b.WriteByte('%')
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// parseCounterField splits a field name made by counterField.
func parseCounterField(name string) (question, answer string, ok bool) {
	question, answer, ok = strings.Cut(name, "|")
	if !ok || strings.Contains(answer, "|") {
		return "", "", false
	}
	question, ok1 := unescapeField(question)
	answer, ok2 := unescapeField(answer)
	return question, answer, ok1 && ok2
}

func unescapeField(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		out = append(out, hi<<4|lo)
		i += 2
	}
	return string(out), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// bucketUpdate is what some counts add to one bucket.
type bucketUpdate struct {
	key    survey.Count // the bucket's survey, version, agency, area and period
	fields bson.D       // counterField: n
}

// bucketUpdates groups counts by bucket, in the order buckets first
// appear, each counter once.
func bucketUpdates(counts []survey.Count) []bucketUpdate {
	var out []bucketUpdate
	idx := map[string]int{}
	for _, c := range survey.MergeCounts(counts) {
		id := bucketID(c)
		i, ok := idx[id]
		if !ok {
			i = len(out)
			idx[id] = i
			out = append(out, bucketUpdate{key: c})
		}
		out[i].fields = append(out[i].fields, bson.E{Key: counterField(c.Question, c.Answer), Value: c.N})
	}
	return out
}

// countSink turns buckets into the counters a query asks for (N > 0),
// summing them when it collapses.
type countSink struct {
	q   survey.CountQuery
	idx map[survey.Count]int // a collapsed counter's key (N 0) → its index in out
	out []survey.Count
}

func newCountSink(q survey.CountQuery) *countSink {
	return &countSink{q: q, idx: map[survey.Count]int{}, out: []survey.Count{}}
}

func (cs *countSink) addBucket(d bucketDoc) error {
	if len(d.Counts) == 0 {
		return nil
	}
	elems, err := d.Counts.Elements()
	if err != nil {
		return err
	}
	base := survey.Count{SurveyID: cs.q.SurveyID, Version: d.Version, AgencyCode: d.AgencyCode, AreaCode: d.AreaCode, Period: d.Period}
	if cs.q.Collapse {
		base.Version = 0
		if !cs.q.KeepAgency {
			base.AgencyCode = ""
		}
		if !cs.q.KeepArea {
			base.AreaCode = ""
		}
		if !cs.q.KeepPeriod {
			base.Period = ""
		}
	}
	for _, e := range elems {
		question, answer, ok := parseCounterField(e.Key())
		if !ok {
			return fmt.Errorf("bucket %s: counter field %q", d.ID, e.Key())
		}
		n, ok := e.Value().AsInt64OK()
		if !ok {
			return fmt.Errorf("bucket %s: counter %q is not a number", d.ID, e.Key())
		}
		if n <= 0 {
			continue
		}
		c := base
		c.Question, c.Answer = question, answer
		if !cs.q.Collapse {
			c.N = n
			cs.out = append(cs.out, c)
			continue
		}
		if i, ok := cs.idx[c]; ok {
			cs.out[i].N += n
			continue
		}
		cs.idx[c] = len(cs.out)
		c.N = n
		cs.out = append(cs.out, c)
	}
	return nil
}

// checkClaim rejects a claim that is not exactly one of a token and a
// participant.
func checkClaim(c survey.Claim) error {
	if (c.TokenHash == "") == (c.Participant == "") {
		return apperr.Invalid(i18n.T("Phiếu cần đúng một mã mời hoặc một người dùng đã đăng nhập",
			"a response needs exactly one of an invitation token and a signed-in participant"))
	}
	return nil
}

func claimID(surveyID string, c survey.Claim) string {
	if c.TokenHash != "" {
		return "t:" + c.TokenHash
	}
	return "p:" + surveyID + "/" + c.Participant
}

// SubmitResponse spends the claim, stores the response marked pending,
// adds its counts and clears the mark. A claim is spent before anything
// else is written, so of concurrent submissions with one claim only one
// gets further. If the response cannot be stored because its ID exists,
// the claim is given back. Other failures return an error and leave
// either the claim spent with no response (the respondent cannot answer
// again: a lost response, never a double one) or the response pending (it
// is stored, and RepairPending counts it).
func (s *SurveyStore) SubmitResponse(ctx context.Context, r survey.Response, claim survey.Claim, counts []survey.Count) error {
	if err := checkClaim(claim); err != nil {
		return err
	}
	answers := r.Answers
	if answers == nil {
		answers = survey.Answers{}
	}
	raw, err := toBSON(answers)
	if err != nil {
		return apperr.Internal(err)
	}
	doc := responseDoc{ID: r.ID, SurveyID: r.SurveyID, Version: r.Version, AgencyCode: r.AgencyCode, AreaCode: r.AreaCode,
		Channel: string(r.Channel), Answers: raw, SubmittedAt: r.SubmittedAt.UTC(), Pending: true}

	if claim.TokenHash != "" {
		err := s.coll(collInvitations).FindOne(ctx, bson.D{{Key: "_id", Value: claim.TokenHash}, {Key: "survey_id", Value: r.SurveyID}},
			options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return errInvitationNotFound()
		}
		if err != nil {
			return internal(err)
		}
	}
	id := claimID(r.SurveyID, claim)
	if _, err := s.coll(collSurveyClaims).InsertOne(ctx, bson.D{{Key: "_id", Value: id}}); err != nil {
		if isDuplicate(err) {
			return errClaimSpent()
		}
		return internal(err)
	}
	// The claim is ours: from here on the caller's leaving must not stop
	// the work halfway.
	ctx = context.WithoutCancel(ctx)
	if claim.TokenHash != "" {
		_, err := s.coll(collInvitations).UpdateOne(ctx, bson.D{{Key: "_id", Value: claim.TokenHash}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "used_at", Value: doc.SubmittedAt}}}})
		if err != nil {
			return internal(err)
		}
	}
	key := s.db.db.Name() + "/" + r.ID
	counting.Lock()
	if counting.inflight == nil {
		counting.inflight = map[string]bool{}
	}
	counting.inflight[key] = true
	counting.Unlock()
	if _, err := s.coll(collResponses).InsertOne(ctx, doc); err != nil {
		counting.Lock()
		delete(counting.inflight, key)
		counting.Unlock()
		if isDuplicate(err) {
			if err := s.releaseClaim(ctx, id, claim); err != nil {
				return err
			}
			return apperr.ConflictOf(apperr.KindExists, i18n.T("Phiếu trả lời đã tồn tại", "the response exists"))
		}
		// The outcome is unknown: the claim stays spent. If the response
		// was stored it is pending, and RepairPending counts it.
		return internal(err)
	}
	if err := s.addCounts(ctx, key, counts); err != nil {
		return err
	}
	_, err = s.coll(collResponses).UpdateOne(ctx, bson.D{{Key: "_id", Value: r.ID}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}}}})
	return internal(err)
}

// releaseClaim gives back a claim whose response could not be stored.
func (s *SurveyStore) releaseClaim(ctx context.Context, id string, claim survey.Claim) error {
	if claim.TokenHash != "" {
		_, err := s.coll(collInvitations).UpdateOne(ctx, bson.D{{Key: "_id", Value: claim.TokenHash}},
			bson.D{{Key: "$unset", Value: bson.D{{Key: "used_at", Value: ""}}}})
		if err != nil {
			return internal(err)
		}
	}
	_, err := s.coll(collSurveyClaims).DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return internal(err)
}

// addCounts adds a stored response's counts, one $inc upsert per bucket
// they fall in (one, for a response made by survey.CountsFor), under the
// process's counting lock, and drops the response from the in-flight set.
func (s *SurveyStore) addCounts(ctx context.Context, key string, counts []survey.Count) error {
	ups := bucketUpdates(counts)
	models := make([]mongo.WriteModel, len(ups))
	for i, u := range ups {
		inc := make(bson.D, len(u.fields))
		for j, e := range u.fields {
			inc[j] = bson.E{Key: "counts." + e.Key, Value: e.Value}
		}
		k := u.key
		models[i] = mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: bucketID(k)}}).SetUpsert(true).SetUpdate(bson.D{
			{Key: "$inc", Value: inc},
			{Key: "$setOnInsert", Value: bson.D{{Key: "survey_id", Value: k.SurveyID}, {Key: "period", Value: k.Period},
				{Key: "agency_code", Value: k.AgencyCode}, {Key: "area_code", Value: k.AreaCode}, {Key: "version", Value: k.Version}}},
		})
	}
	counting.Lock()
	defer counting.Unlock()
	delete(counting.inflight, key)
	if len(models) == 0 {
		return nil
	}
	_, err := s.coll(collSurveyBuckets).BulkWrite(ctx, models)
	return internal(err)
}

var ixBuckets = servedBy(collSurveyBuckets, "Counts, ReplaceCounts: a survey's months", asc("survey_id"), asc("period"))

// Counts reads the buckets matching q from the (survey_id, period) index
// and unpacks them, summing them when q.Collapse asks for it.
func (s *SurveyStore) Counts(ctx context.Context, q survey.CountQuery) ([]survey.Count, error) {
	filter := bson.D{{Key: "survey_id", Value: q.SurveyID}}
	period := bson.D{}
	if q.FromPeriod != "" {
		period = append(period, bson.E{Key: "$gte", Value: q.FromPeriod})
	}
	if q.ToPeriod != "" {
		period = append(period, bson.E{Key: "$lte", Value: q.ToPeriod})
	}
	if len(period) > 0 {
		filter = append(filter, bson.E{Key: "period", Value: period})
	}
	if q.AgencyCode != "" {
		filter = append(filter, bson.E{Key: "agency_code", Value: q.AgencyCode})
	}
	if q.AreaCode != "" {
		filter = append(filter, bson.E{Key: "area_code", Value: q.AreaCode})
	}
	cur, err := s.coll(collSurveyBuckets).Find(ctx, filter, options.Find().SetHint(ixBuckets))
	if err != nil {
		return nil, internal(err)
	}
	defer cur.Close(ctx)
	sink := newCountSink(q)
	for cur.Next(ctx) {
		var d bucketDoc
		if err := cur.Decode(&d); err != nil {
			return nil, internal(err)
		}
		if err := sink.addBucket(d); err != nil {
			return nil, apperr.Internal(err)
		}
	}
	return sink.out, internal(cur.Err())
}

// Responses returns a page of a survey's responses in ID order, pending
// ones included (they are stored; their counts may lag).
func (s *SurveyStore) Responses(ctx context.Context, surveyID, after string, limit int) ([]survey.Response, error) {
	docs, err := s.responsePage(ctx, surveyID, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]survey.Response, 0, len(docs))
	for _, d := range docs {
		r, err := d.response()
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, r)
	}
	return out, nil
}

// ixResponses: a survey's responses in _id order (export, reindex).
var ixResponses = servedBy(collResponses, "responsePage", asc("survey_id"), asc("_id"))

func (s *SurveyStore) responsePage(ctx context.Context, surveyID, after string, limit int) ([]responseDoc, error) {
	return findAll(ctx, s.coll(collResponses),
		bson.D{{Key: "survey_id", Value: surveyID}, {Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).SetHint(ixResponses), func(d responseDoc) responseDoc { return d })
}

// ReplaceCounts deletes the survey's buckets and inserts new ones holding
// counts (summed by key): not atomic for readers, so it is for an offline reindex, run while
// no responses arrive (this process's own submissions wait for it).
func (s *SurveyStore) ReplaceCounts(ctx context.Context, surveyID string, counts []survey.Count) error {
	counting.Lock()
	defer counting.Unlock()
	return s.replaceCounts(ctx, surveyID, counts)
}

func (s *SurveyStore) replaceCounts(ctx context.Context, surveyID string, counts []survey.Count) error {
	if _, err := s.coll(collSurveyBuckets).DeleteMany(ctx, bson.D{{Key: "survey_id", Value: surveyID}}); err != nil { // index: ixBuckets
		return internal(err)
	}
	own := make([]survey.Count, 0, len(counts))
	for _, c := range counts {
		if c.N != 0 {
			c.SurveyID = surveyID
			own = append(own, c)
		}
	}
	ups := bucketUpdates(own)
	for len(ups) > 0 {
		n := min(len(ups), 500)
		docs := make([]any, n)
		for i, u := range ups[:n] {
			raw, err := bson.Marshal(u.fields)
			if err != nil {
				return apperr.Internal(err)
			}
			k := u.key
			docs[i] = bucketDoc{ID: bucketID(k), SurveyID: k.SurveyID, Period: k.Period, AgencyCode: k.AgencyCode, AreaCode: k.AreaCode,
				Version: k.Version, Counts: raw}
		}
		if _, err := s.coll(collSurveyBuckets).InsertMany(ctx, docs); err != nil {
			return internal(err)
		}
		ups = ups[n:]
	}
	return nil
}

// pendingAge is how long a response may stay pending before RepairPending
// takes it for the leftover of a crash rather than a submission in flight.
const pendingAge = time.Minute

// RepairPending recounts every survey that holds a response left pending
// for over a minute (a process stopped between storing a response and
// adding its counts) and returns how many surveys it recounted. The recount
// reads all of the survey's responses, computes their counts with their
// frozen version's questionnaire (survey.CountsFor), replaces the
// counters and clears the pending marks. Run it at start-up and from time
// to time.
//
// It holds the process's counting lock throughout, so this process's
// submissions are either counted by it or add their own counts after it.
// Another instance submitting to the same survey during a recount may see
// its counts lost or doubled until the next recount: with several
// instances, run it from one, when little is being submitted.
var ixPendingResponses = servedBy(collResponses, "RepairPending: responses a crash left pending", asc("pending"), asc("submitted_at"))

func (s *SurveyStore) RepairPending(ctx context.Context) (int, error) {
	stuck, err := findAll(ctx, s.coll(collResponses),
		bson.D{{Key: "pending", Value: true}, {Key: "submitted_at", Value: bson.D{{Key: "$lt", Value: time.Now().Add(-pendingAge).UTC()}}}},
		options.Find().SetProjection(bson.D{{Key: "survey_id", Value: 1}}).SetHint(ixPendingResponses), func(d responseDoc) string { return d.SurveyID })
	if err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	repaired := 0
	for _, surveyID := range stuck {
		if seen[surveyID] {
			continue
		}
		seen[surveyID] = true
		if err := s.recount(ctx, surveyID); err != nil {
			return repaired, err
		}
		repaired++
	}
	return repaired, nil
}

// recount rebuilds one survey's counters from its responses.
func (s *SurveyStore) recount(ctx context.Context, surveyID string) error {
	counting.Lock()
	defer counting.Unlock()
	forms := map[int]*survey.Questionnaire{}
	var counts []survey.Count
	var pending []string
	for after := ""; ; {
		page, err := s.responsePage(ctx, surveyID, after, 1000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		for _, d := range page {
			if counting.inflight[s.db.db.Name()+"/"+d.ID] {
				continue // its own counts are still to come
			}
			q, ok := forms[d.Version]
			if !ok {
				v, err := s.GetVersion(ctx, surveyID, d.Version)
				if err != nil {
					return fmt.Errorf("recounting survey %s: version %d: %w", surveyID, d.Version, err)
				}
				q = &v.Questionnaire
				forms[d.Version] = q
			}
			r, err := d.response()
			if err != nil {
				return apperr.Internal(err)
			}
			counts = append(counts, survey.CountsFor(q, r)...)
			if d.Pending {
				pending = append(pending, d.ID)
			}
		}
		// Keep memory to the distinct counters, not one per answer.
		counts = survey.MergeCounts(counts)
	}
	if err := s.replaceCounts(ctx, surveyID, counts); err != nil {
		return err
	}
	for len(pending) > 0 {
		n := min(len(pending), 1000)
		_, err := s.coll(collResponses).UpdateMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: pending[:n]}}}},
			bson.D{{Key: "$unset", Value: bson.D{{Key: "pending", Value: ""}}}})
		if err != nil {
			return internal(err)
		}
		pending = pending[n:]
	}
	return nil
}
