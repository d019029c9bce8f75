package survey

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

// RatingSource tallies the reporters' ratings of answered field reports.
type RatingSource interface {
	RatingCounts(ctx context.Context, fromPeriod, toPeriod string) ([]feedback.RatingCount, error)
}

// Service runs surveys: the admin side (create, edit, publish, close,
// invite), the public side (form, responses) and the analysts' side
// (indicators, exports).
type Service struct {
	store   Store
	ratings RatingSource
	ref     *feedback.ReferenceService
	now     func() time.Time

	// versions caches frozen versions (they never change); open caches
	// surveys for answering for openTTL, so a busy form does not decode
	// the questionnaire on every answer. Changes made here drop the entry
	// at once; other instances see them within openTTL.
	versions sync.Map // surveyID/number → *Version
	// verified reports whether an account's identity is verified by the
	// province's provider (SetVerifier); nil: no account is.
	verified func(ctx context.Context, userID string) (bool, error)
	openMu   sync.Mutex
	open     map[string]openEntry
}

// SetVerifier sets how the service tells a verified-identity account
// (identity.Service.IsVerified): such an account's app answers form the
// verified channel. Call before serving.
func (s *Service) SetVerifier(f func(ctx context.Context, userID string) (bool, error)) {
	s.verified = f
}

type openEntry struct {
	survey *Survey
	at     time.Time
}

const openTTL = 2 * time.Second

// NewService returns the service; now may be nil (time.Now).
func NewService(store Store, ratings RatingSource, ref *feedback.ReferenceService, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, ratings: ratings, ref: ref, now: now}
}

func fieldErr(name, vi, en string) apperr.FieldError {
	return apperr.FieldError{Field: name, Message: i18n.T(vi, en)}
}

func invalid(fs ...apperr.FieldError) error {
	return apperr.Invalid(i18n.T("Dữ liệu không hợp lệ", "invalid input"), fs...)
}

func errSurveyNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy khảo sát", "survey not found"))
}

// DayPeriod is a survey's period as the API reads and writes it: whole
// days "2006-01-02" in the province's zone.
type DayPeriod struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (p DayPeriod) parse(field string) (Period, []apperr.FieldError) {
	loc := provinceZone()
	var fs []apperr.FieldError
	from, err1 := time.ParseInLocation("2006-01-02", p.From, loc)
	if err1 != nil {
		fs = append(fs, fieldErr(field+".from", "Ngày dạng YYYY-MM-DD", "must be a date like 2026-11-28"))
	}
	to, err2 := time.ParseInLocation("2006-01-02", p.To, loc)
	if err2 != nil {
		fs = append(fs, fieldErr(field+".to", "Ngày dạng YYYY-MM-DD", "must be a date like 2026-11-28"))
	}
	if err1 == nil && err2 == nil && to.Before(from) {
		fs = append(fs, fieldErr(field+".to", "Ngày kết thúc phải sau ngày bắt đầu", "must not be before from"))
	}
	return Period{From: from, To: to}, fs
}

// Days returns p as days in the province's zone.
func (p Period) Days() DayPeriod {
	loc := provinceZone()
	return DayPeriod{From: p.From.In(loc).Format("2006-01-02"), To: p.To.In(loc).Format("2006-01-02")}
}

// open reports whether responses are taken at now: published, and now
// within the period's days.
func (s *Survey) open(now time.Time) bool {
	if s.Status != StatusPublished || s.PublishedVersion == 0 {
		return false
	}
	end := s.Period.To.In(provinceZone()).AddDate(0, 0, 1)
	return !now.Before(s.Period.From) && now.Before(end)
}

// CreateInput is POST /v1/surveys.
type CreateInput struct {
	Template      string
	Kind          Kind
	Title         i18n.Text
	Period        DayPeriod
	Questionnaire *Questionnaire
}

// Create makes a draft survey from a template or from a questionnaire.
func (s *Service) Create(ctx context.Context, p identity.Principal, in CreateInput) (*Survey, error) {
	if err := p.Require(identity.PermSurveysAdmin); err != nil {
		return nil, err
	}
	var fs []apperr.FieldError
	title := i18n.T(clean(in.Title.Vi), clean(in.Title.En))
	if n := utf8.RuneCountInString(title.Vi); n < 3 || n > 200 {
		fs = append(fs, fieldErr("title", "Tiêu đề từ 3 đến 200 ký tự", "must be 3 to 200 characters"))
	}
	period, pfs := in.Period.parse("period")
	fs = append(fs, pfs...)
	kind, q := in.Kind, in.Questionnaire
	switch {
	case in.Template != "" && q != nil:
		fs = append(fs, fieldErr("questionnaire", "Chọn mẫu hoặc tự soạn, không cả hai", "give a template or a questionnaire, not both"))
	case in.Template != "":
		k, tq, err := Template(in.Template)
		if err != nil {
			fs = append(fs, fieldErr("template", "Chỉ có mẫu sipas, sipas-2017 và papi", "must be sipas, sipas-2017 or papi"))
		} else {
			kind, q = k, &tq
		}
	case q == nil:
		fs = append(fs, fieldErr("questionnaire", "Cần mẫu (template) hoặc bảng hỏi", "give a template or a questionnaire"))
	case !kind.Valid():
		fs = append(fs, fieldErr("kind", "Chỉ nhận sipas, papi hoặc custom", "must be sipas, papi or custom"))
	}
	if len(fs) > 0 {
		return nil, invalid(fs...)
	}
	if err := q.Validate(kind); err != nil {
		return nil, prefixed(err, "questionnaire.")
	}
	now := s.now().UTC()
	sv := &Survey{ID: ids.New(), Kind: kind, Template: in.Template, Title: title, Period: period, Status: StatusDraft,
		Questionnaire: *q, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateSurvey(ctx, sv); err != nil {
		return nil, err
	}
	return sv, nil
}

// prefixed renames the fields of a validation error (a questionnaire's
// problems are reported under "questionnaire.").
func prefixed(err error, prefix string) error {
	e, ok := err.(*apperr.Error)
	if !ok || e.Code != apperr.EINVALID {
		return err
	}
	out := *e
	out.Fields = make([]apperr.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		f.Field = prefix + f.Field
		out.Fields[i] = f
	}
	return &out
}

func clean(s string) string { return i18n.CleanText(s) }

// Get returns a survey to its admins and analysts.
func (s *Service) Get(ctx context.Context, p identity.Principal, id string) (*Survey, error) {
	if !p.Can(identity.PermSurveysAdmin) && !p.Can(identity.PermIndicatorsRead) {
		return nil, identity.ErrForbidden()
	}
	sv, err := s.store.GetSurvey(ctx, id)
	if apperr.CodeOf(err) == apperr.ENOTFOUND {
		return nil, errSurveyNotFound()
	}
	return sv, err
}

// List returns surveys, newest first.
func (s *Service) List(ctx context.Context, p identity.Principal, before string, limit int) ([]Survey, error) {
	if !p.Can(identity.PermSurveysAdmin) && !p.Can(identity.PermIndicatorsRead) {
		return nil, identity.ErrForbidden()
	}
	return s.store.ListSurveys(ctx, before, limit)
}

// UpdateInput is PUT /v1/surveys/{id}: the fields to change.
type UpdateInput struct {
	Title         *i18n.Text
	Period        *DayPeriod
	Questionnaire *Questionnaire
}

// Update edits a survey. Editing the questionnaire of a published survey
// starts a new draft version; responses keep going to the published one
// until it is published.
func (s *Service) Update(ctx context.Context, p identity.Principal, id string, in UpdateInput) (*Survey, error) {
	if err := p.Require(identity.PermSurveysAdmin); err != nil {
		return nil, err
	}
	sv, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if sv.Status == StatusClosed {
		return nil, apperr.ConflictOf(apperr.KindState, i18n.T("Khảo sát đã đóng", "the survey is closed"))
	}
	var fs []apperr.FieldError
	if in.Title != nil {
		t := i18n.T(clean(in.Title.Vi), clean(in.Title.En))
		if n := utf8.RuneCountInString(t.Vi); n < 3 || n > 200 {
			fs = append(fs, fieldErr("title", "Tiêu đề từ 3 đến 200 ký tự", "must be 3 to 200 characters"))
		}
		sv.Title = t
	}
	if in.Period != nil {
		period, pfs := in.Period.parse("period")
		fs = append(fs, pfs...)
		sv.Period = period
	}
	if len(fs) > 0 {
		return nil, invalid(fs...)
	}
	if in.Questionnaire != nil {
		if err := in.Questionnaire.Validate(sv.Kind); err != nil {
			return nil, prefixed(err, "questionnaire.")
		}
		if sv.Version == sv.PublishedVersion {
			sv.Version++
		}
		sv.Questionnaire = *in.Questionnaire
	}
	sv.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateSurvey(ctx, sv); err != nil {
		return nil, err
	}
	s.changed(sv.ID)
	return sv, nil
}

// Publish freezes the working version and opens the survey to responses.
func (s *Service) Publish(ctx context.Context, p identity.Principal, id string) (*Survey, error) {
	if err := p.Require(identity.PermSurveysAdmin); err != nil {
		return nil, err
	}
	sv, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	switch {
	case sv.Status == StatusClosed:
		return nil, apperr.ConflictOf(apperr.KindState, i18n.T("Khảo sát đã đóng", "the survey is closed"))
	case sv.Version == sv.PublishedVersion:
		return nil, apperr.ConflictOf(apperr.KindState, i18n.T("Phiên bản này đã được công bố", "this version is already published"))
	}
	if err := sv.Questionnaire.Validate(sv.Kind); err != nil {
		return nil, prefixed(err, "questionnaire.")
	}
	now := s.now().UTC()
	if err := s.freeze(ctx, sv, now); err != nil {
		return nil, err
	}
	sv.PublishedVersion, sv.Status, sv.UpdatedAt = sv.Version, StatusPublished, now
	if err := s.store.UpdateSurvey(ctx, sv); err != nil {
		return nil, err
	}
	s.changed(sv.ID)
	return sv, nil
}

// freeze stores the working copy as frozen version sv.Version. A version
// of that number may be frozen already, by a publish that failed after
// freezing (a crash, or a concurrent edit that won the survey's revision):
// when it holds the same questionnaire it is this one; when it holds
// another, the working copy takes the next number, so that a frozen
// version never changes under the responses that cite it.
func (s *Service) freeze(ctx context.Context, sv *Survey, now time.Time) error {
	want, err := json.Marshal(sv.Questionnaire)
	if err != nil {
		return err
	}
	for range 8 {
		err := s.store.PutVersion(ctx, Version{SurveyID: sv.ID, Number: sv.Version, Questionnaire: sv.Questionnaire, PublishedAt: now})
		if apperr.CodeOf(err) != apperr.ECONFLICT {
			return err
		}
		frozen, err := s.store.GetVersion(ctx, sv.ID, sv.Version)
		if err != nil {
			return err
		}
		got, err := json.Marshal(frozen.Questionnaire)
		if err != nil {
			return err
		}
		if bytes.Equal(got, want) {
			return nil
		}
		sv.Version++
	}
	return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Khảo sát đang được sửa đồng thời, hãy thử lại", "the survey is being changed concurrently; try again"))
}

// Close stops a published survey taking responses.
func (s *Service) Close(ctx context.Context, p identity.Principal, id string) (*Survey, error) {
	if err := p.Require(identity.PermSurveysAdmin); err != nil {
		return nil, err
	}
	sv, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if sv.Status != StatusPublished {
		return nil, apperr.ConflictOf(apperr.KindState, i18n.T("Chỉ đóng được khảo sát đang mở", "only a published survey can be closed"))
	}
	sv.Status, sv.UpdatedAt = StatusClosed, s.now().UTC()
	if err := s.store.UpdateSurvey(ctx, sv); err != nil {
		return nil, err
	}
	s.changed(sv.ID)
	return sv, nil
}

// MaxInvitations is the most tokens one request issues.
const MaxInvitations = 1000

// tokenEncoding writes tokens in capitals and digits without padding:
// easy to print as a QR code and to type.
var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// HashToken is what the store keeps of a token.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(token))))
	return hex.EncodeToString(h[:])
}

// Invite issues count single-use tokens for the agency and area served.
func (s *Service) Invite(ctx context.Context, p identity.Principal, id string, count int, agencyCode, areaCode string) ([]string, error) {
	if err := p.Require(identity.PermSurveysAdmin); err != nil {
		return nil, err
	}
	sv, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	ref, err := s.ref.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var fs []apperr.FieldError
	if count < 1 || count > MaxInvitations {
		fs = append(fs, fieldErr("count", fmt.Sprintf("Từ 1 đến %d", MaxInvitations), fmt.Sprintf("must be 1 to %d", MaxInvitations)))
	}
	if !hasAgency(ref, agencyCode) {
		fs = append(fs, fieldErr("agency_code", "Cơ quan không tồn tại hoặc đã ngừng hoạt động", "is not an active agency"))
	}
	if !hasArea(ref, areaCode) {
		fs = append(fs, fieldErr("area_code", "Đơn vị hành chính không tồn tại", "is not an area"))
	}
	if len(fs) > 0 {
		return nil, invalid(fs...)
	}
	if sv.Status == StatusClosed {
		return nil, apperr.ConflictOf(apperr.KindState, i18n.T("Khảo sát đã đóng", "the survey is closed"))
	}
	now := s.now().UTC()
	tokens := make([]string, count)
	invs := make([]Invitation, count)
	for i := range tokens {
		var b [15]byte // 120 bits
		rand.Read(b[:])
		tokens[i] = tokenEncoding.EncodeToString(b[:])
		invs[i] = Invitation{TokenHash: HashToken(tokens[i]), SurveyID: sv.ID, AgencyCode: agencyCode, AreaCode: areaCode, CreatedAt: now}
	}
	if err := s.store.CreateInvitations(ctx, invs); err != nil {
		return nil, err
	}
	return tokens, nil
}

func hasAgency(ref *feedback.Reference, code string) bool {
	for _, a := range ref.Agencies {
		if a.Code == code && a.Active {
			return true
		}
	}
	return false
}

func hasArea(ref *feedback.Reference, code string) bool {
	for _, a := range ref.Areas {
		if a.Code == code {
			return true
		}
	}
	return false
}

// Form is GET /v1/surveys/{id}/form.
type Form struct {
	SurveyID  string         `json:"survey_id"`
	Version   int            `json:"version"`
	Title     string         `json:"title"`
	Period    DayPeriod      `json:"period"`
	Questions []FormQuestion `json:"questions"`
}

// openVersion returns an open survey and its published version.
func (s *Service) openVersion(ctx context.Context, id string) (*Survey, *Version, error) {
	sv, err := s.cachedSurvey(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !sv.open(s.now()) {
		return nil, nil, apperr.ConflictOf(apperr.KindState, i18n.T("Khảo sát không nhận trả lời lúc này", "the survey is not open for answers"))
	}
	v, err := s.version(ctx, sv.ID, sv.PublishedVersion)
	if err != nil {
		return nil, nil, err
	}
	return sv, v, nil
}

// cachedSurvey reads a survey at most every openTTL; callers must not
// modify it.
func (s *Service) cachedSurvey(ctx context.Context, id string) (*Survey, error) {
	now := s.now()
	s.openMu.Lock()
	e, ok := s.open[id]
	s.openMu.Unlock()
	if ok && now.Sub(e.at) <= openTTL && !now.Before(e.at) {
		return e.survey, nil
	}
	sv, err := s.store.GetSurvey(ctx, id)
	if apperr.CodeOf(err) == apperr.ENOTFOUND {
		return nil, errSurveyNotFound()
	}
	if err != nil {
		return nil, err
	}
	s.openMu.Lock()
	if s.open == nil || len(s.open) > 1000 {
		s.open = map[string]openEntry{}
	}
	s.open[strings.Clone(id)] = openEntry{survey: sv, at: now}
	s.openMu.Unlock()
	return sv, nil
}

// version returns a frozen version, from the cache when it was read before.
func (s *Service) version(ctx context.Context, surveyID string, n int) (*Version, error) {
	key := surveyID + "/" + strconv.Itoa(n)
	if v, ok := s.versions.Load(key); ok {
		return v.(*Version), nil
	}
	v, err := s.store.GetVersion(ctx, surveyID, n)
	if err != nil {
		return nil, err
	}
	s.versions.Store(key, v)
	return v, nil
}

// changed forgets the cached copy of a survey this instance changed.
func (s *Service) changed(id string) {
	s.openMu.Lock()
	delete(s.open, id)
	s.openMu.Unlock()
}

// invitation checks a token against a survey: unknown is ENOTFOUND, used
// is ECONFLICT.
func (s *Service) invitation(ctx context.Context, surveyID, token string) (*Invitation, error) {
	inv, err := s.store.GetInvitation(ctx, HashToken(token))
	if apperr.CodeOf(err) == apperr.ENOTFOUND || (err == nil && inv.SurveyID != surveyID) {
		return nil, apperr.NotFound(i18n.T("Mã mời không đúng", "unknown invitation token"))
	}
	if err != nil {
		return nil, err
	}
	if inv.UsedAt != nil {
		return nil, apperr.ConflictOf(apperr.KindUsed, i18n.T("Mã mời đã được dùng", "the invitation token was already used"))
	}
	return inv, nil
}

// Form returns the localized form of an open survey; with a token, the
// token is checked first, so a used one is told before anyone answers.
func (s *Service) Form(ctx context.Context, id, token string, lang i18n.Lang) (*Form, error) {
	sv, v, err := s.openVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	if token != "" {
		if _, err := s.invitation(ctx, sv.ID, token); err != nil {
			return nil, err
		}
	}
	return &Form{SurveyID: sv.ID, Version: v.Number, Title: sv.Title.In(lang), Period: sv.Period.Days(),
		Questions: v.Questionnaire.Form(lang)}, nil
}

// Respond stores one anonymous response: with a token it counts for the
// token's agency and area; without, a signed-in app user answers once.
func (s *Service) Respond(ctx context.Context, p identity.Principal, id, token string, answers map[string]json.RawMessage) (*Response, error) {
	sv, v, err := s.openVersion(ctx, id)
	if err != nil {
		return nil, err
	}
	r := Response{ID: ids.New(), SurveyID: sv.ID, Version: v.Number, SubmittedAt: s.now().UTC()}
	var claim Claim
	switch {
	case token != "":
		inv, err := s.invitation(ctx, sv.ID, token)
		if err != nil {
			return nil, err
		}
		claim.TokenHash, r.AgencyCode, r.AreaCode, r.Channel = inv.TokenHash, inv.AgencyCode, inv.AreaCode, ChannelInvitation
	case !p.IsAnonymous() && p.Role == identity.RoleCitizen:
		// Registered citizens only: a guest account costs nothing to make
		// again, and staff would be judging their own agencies.
		h := sha256.Sum256([]byte(sv.ID + "/" + p.UserID))
		claim.Participant, r.Channel = hex.EncodeToString(h[:]), ChannelApp
		if s.verified != nil {
			ok, err := s.verified(ctx, p.UserID)
			if err != nil {
				return nil, err
			}
			if ok {
				r.Channel = ChannelVerified
			}
		}
	case !p.IsAnonymous():
		return nil, apperr.New(apperr.EFORBIDDEN, i18n.T("Chỉ công dân đã đăng ký mới trả lời không cần mã mời", "only registered citizens may answer without an invitation token"))
	default:
		return nil, apperr.New(apperr.EUNAUTHORIZED, i18n.T("Cần mã mời hoặc đăng nhập", "an invitation token or signing in is required"))
	}
	a, err := v.Questionnaire.CheckAnswers(answers)
	if err != nil {
		return nil, err
	}
	r.Answers = a
	if err := s.store.SubmitResponse(ctx, r, claim, CountsFor(&v.Questionnaire, r)); err != nil {
		if apperr.CodeOf(err) == apperr.ECONFLICT {
			return nil, apperr.ConflictOf(apperr.KindUsed, i18n.T("Đã trả lời khảo sát này", "this survey was already answered with this token or account"))
		}
		return nil, err
	}
	return &r, nil
}
