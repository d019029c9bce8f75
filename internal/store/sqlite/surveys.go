package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/survey"
)

// SurveyStore implements survey.Store.
//
// Responses arrive in bursts (a hall of respondents, an SMS campaign) and
// each must survive a power cut once acknowledged, so every commit waits
// for an fsync. One fsync per response would cap ingestion at the disk's
// flush rate; instead SubmitResponse queues its work and one writer
// goroutine commits whatever is queued, up to maxBatch submissions, in one
// transaction (group commit). Each submission runs inside its own
// savepoint, so one that fails (a spent token) is rolled back alone and
// gets its own error, and every caller returns only once the transaction
// holding its submission has committed. The writer runs while there is
// work and exits when the queue is empty: nothing is left running once the
// database is closed.
//
// Counters are kept in buckets, one row per survey, month, agency, area
// and version (see bucket.pack): an indicator over a year reads a few
// hundred rows whatever the number of responses. The writer adds up the
// counts of a batch's stored submissions per bucket in memory and, after
// their savepoints, rewrites each bucket it touched once, in the same
// transaction: if that fails the whole batch fails, and nothing of it is
// stored.
//
// The queue belongs to the store value: the program makes one with
// DB.Surveys and shares it, or submissions batch less (they stay correct,
// the single write connection serializes them).
type SurveyStore struct {
	db *DB

	mu      sync.Mutex
	queue   []*submission
	writing bool // a writer goroutine is draining the queue
}

var _ survey.Store = (*SurveyStore)(nil)

// Surveys returns a new survey store, with its own group-commit queue:
// make one and share it.
func (db *DB) Surveys() survey.Store { return &SurveyStore{db: db} }

// maxBatch bounds a group commit: enough to amortize the fsync many times
// over, small enough that the write connection is never held for long.
const maxBatch = 64

func errSurveyNotFound() error {
	return apperr.NotFound(i18n.T("Không tìm thấy cuộc khảo sát", "survey not found"))
}

func errClaimSpent() error {
	return apperr.ConflictOf(apperr.KindUsed, i18n.T("Phiếu khảo sát này đã được gửi", "this survey was already answered"))
}

func errInvitationNotFound() error {
	return apperr.NotFound(i18n.T("Mã mời không hợp lệ", "unknown invitation"))
}

// checkClaim rejects a claim that is not exactly one of a token and a
// participant: a programming error upstream, but never worth a response
// stored without its claim.
func checkClaim(c survey.Claim) error {
	if (c.TokenHash == "") == (c.Participant == "") {
		return apperr.Invalid(i18n.T("Phiếu cần đúng một mã mời hoặc một người dùng đã đăng nhập",
			"a response needs exactly one of an invitation token and a signed-in participant"))
	}
	return nil
}

// jsonText encodes values kept as JSON text.
func jsonText(vs ...any) ([]string, error) {
	out := make([]string, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out[i] = string(b)
	}
	return out, nil
}

const surveyColumns = `id, kind, template, title, period, status, questionnaire, version, published_version, created_at, updated_at, revision`

func scanSurvey(row scanner) (*survey.Survey, error) {
	var s survey.Survey
	var kind, status, title, period, q, created, updated string
	err := row.Scan(&s.ID, &kind, &s.Template, &title, &period, &status, &q, &s.Version, &s.PublishedVersion, &created, &updated, &s.Revision)
	if err != nil {
		return nil, err
	}
	s.Kind, s.Status = survey.Kind(kind), survey.Status(status)
	s.CreatedAt, s.UpdatedAt = parseTS(created), parseTS(updated)
	if err := errors.Join(json.Unmarshal([]byte(title), &s.Title), json.Unmarshal([]byte(period), &s.Period),
		json.Unmarshal([]byte(q), &s.Questionnaire)); err != nil {
		return nil, err
	}
	return &s, nil
}

// CreateSurvey stores a new survey at revision 1.
func (s *SurveyStore) CreateSurvey(ctx context.Context, sv *survey.Survey) error {
	j, err := jsonText(sv.Title, sv.Period, sv.Questionnaire)
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = s.db.write.ExecContext(ctx, `INSERT INTO surveys (`+surveyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		sv.ID, string(sv.Kind), sv.Template, j[0], j[1], string(sv.Status), j[2],
		sv.Version, sv.PublishedVersion, ts(sv.CreatedAt), ts(sv.UpdatedAt))
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Cuộc khảo sát đã tồn tại", "the survey exists"))
	}
	if err != nil {
		return apperr.Internal(err)
	}
	sv.Revision = 1
	return nil
}

// GetSurvey returns a survey by ID.
func (s *SurveyStore) GetSurvey(ctx context.Context, id string) (*survey.Survey, error) {
	sv, err := scanSurvey(s.db.read.QueryRowContext(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSurveyNotFound()
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return sv, nil
}

// UpdateSurvey writes sv over the revision it was read at.
func (s *SurveyStore) UpdateSurvey(ctx context.Context, sv *survey.Survey) error {
	j, err := jsonText(sv.Title, sv.Period, sv.Questionnaire)
	if err != nil {
		return apperr.Internal(err)
	}
	res, err := s.db.write.ExecContext(ctx, `UPDATE surveys SET kind = ?, template = ?, title = ?, period = ?, status = ?,
		questionnaire = ?, version = ?, published_version = ?, updated_at = ?, revision = revision + 1 WHERE id = ? AND revision = ?`,
		string(sv.Kind), sv.Template, j[0], j[1], string(sv.Status), j[2], sv.Version, sv.PublishedVersion, ts(sv.UpdatedAt), sv.ID, sv.Revision)
	if err != nil {
		return apperr.Internal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.GetSurvey(ctx, sv.ID); err != nil {
			return err
		}
		return apperr.ConflictOf(apperr.KindConcurrent, i18n.T("Cuộc khảo sát vừa được thay đổi bởi thao tác khác; hãy tải lại",
			"the survey was changed meanwhile; reload it"))
	}
	sv.Revision++
	return nil
}

// ListSurveys returns surveys newest first.
func (s *SurveyStore) ListSurveys(ctx context.Context, before string, limit int) ([]survey.Survey, error) {
	if before == "" {
		before = "~" // after every ID
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []survey.Survey{}
	for rows.Next() {
		sv, err := scanSurvey(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, *sv)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// PutVersion stores a frozen version.
func (s *SurveyStore) PutVersion(ctx context.Context, v survey.Version) error {
	j, err := jsonText(v.Questionnaire)
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = s.db.write.ExecContext(ctx, `INSERT INTO survey_versions (survey_id, number, questionnaire, published_at) VALUES (?, ?, ?, ?)`,
		v.SurveyID, v.Number, j[0], ts(v.PublishedAt))
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindState, i18n.T("Phiên bản này đã được công bố", "the version is already published"))
	}
	return apperr.InternalOrNil(err)
}

// GetVersion returns a frozen version.
func (s *SurveyStore) GetVersion(ctx context.Context, surveyID string, number int) (*survey.Version, error) {
	v := survey.Version{SurveyID: surveyID, Number: number}
	var q, published string
	err := s.db.read.QueryRowContext(ctx, `SELECT questionnaire, published_at FROM survey_versions WHERE survey_id = ? AND number = ?`,
		surveyID, number).Scan(&q, &published)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy phiên bản của phiếu khảo sát", "survey version not found"))
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	if err := json.Unmarshal([]byte(q), &v.Questionnaire); err != nil {
		return nil, apperr.Internal(err)
	}
	v.PublishedAt = parseTS(published)
	return &v, nil
}

// CreateInvitations stores invitations in one transaction.
func (s *SurveyStore) CreateInvitations(ctx context.Context, invs []survey.Invitation) error {
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO survey_invitations (token_hash, survey_id, agency_code, area_code, created_at, used_at)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		for _, inv := range invs {
			if _, err := stmt.ExecContext(ctx, inv.TokenHash, inv.SurveyID, inv.AgencyCode, inv.AreaCode, ts(inv.CreatedAt), tsOrNil(inv.UsedAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Mã mời bị trùng", "a duplicate invitation token"))
	}
	return apperr.InternalOrNil(err)
}

// GetInvitation returns an invitation by its token's hash.
func (s *SurveyStore) GetInvitation(ctx context.Context, tokenHash string) (*survey.Invitation, error) {
	inv := survey.Invitation{TokenHash: tokenHash}
	var created string
	var used sql.NullString
	err := s.db.read.QueryRowContext(ctx, `SELECT survey_id, agency_code, area_code, created_at, used_at FROM survey_invitations WHERE token_hash = ?`,
		tokenHash).Scan(&inv.SurveyID, &inv.AgencyCode, &inv.AreaCode, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInvitationNotFound()
	}
	if err != nil {
		return nil, apperr.Internal(err)
	}
	inv.CreatedAt, inv.UsedAt = parseTS(created), nullTS(used)
	return &inv, nil
}

// InvitationBatches counts a survey's invitations by batch, newest first.
func (s *SurveyStore) InvitationBatches(ctx context.Context, surveyID string) ([]survey.InvitationBatch, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT agency_code, area_code, created_at, COUNT(*), COUNT(used_at)
		FROM survey_invitations WHERE survey_id = ? GROUP BY created_at, agency_code, area_code
		ORDER BY created_at DESC, agency_code, area_code`, surveyID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []survey.InvitationBatch{}
	for rows.Next() {
		var b survey.InvitationBatch
		var created string
		if err := rows.Scan(&b.AgencyCode, &b.AreaCode, &created, &b.Issued, &b.Used); err != nil {
			return nil, apperr.Internal(err)
		}
		b.CreatedAt = parseTS(created)
		out = append(out, b)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// submission is one SubmitResponse waiting for the writer.
type submission struct {
	ctx     context.Context
	r       survey.Response
	answers string
	claim   survey.Claim
	counts  []survey.Count
	done    chan error // buffered: the writer never waits for the caller
}

// SubmitResponse queues the submission for the group-commit writer and
// waits for the commit that holds it. It waits even if ctx ends meanwhile:
// once the writer has taken a submission, only the commit's outcome says
// whether it was stored, and a caller told "failed" about a stored
// response would be refused on retry. A submission whose ctx has ended
// before the writer reaches it is skipped.
func (s *SurveyStore) SubmitResponse(ctx context.Context, r survey.Response, claim survey.Claim, counts []survey.Count) error {
	if err := checkClaim(claim); err != nil {
		return err
	}
	j, err := jsonText(r.Answers)
	if err != nil {
		return apperr.Internal(err)
	}
	sub := &submission{ctx: ctx, r: r, answers: j[0], claim: claim, counts: counts, done: make(chan error, 1)}
	s.mu.Lock()
	s.queue = append(s.queue, sub)
	start := !s.writing
	s.writing = true
	s.mu.Unlock()
	if start {
		go s.drain()
	}
	return <-sub.done
}

// drain commits queued submissions, a batch at a time, until none is left.
func (s *SurveyStore) drain() {
	for {
		s.mu.Lock()
		n := min(len(s.queue), maxBatch)
		if n == 0 {
			s.writing = false
			s.queue = nil
			s.mu.Unlock()
			return
		}
		batch := s.queue[:n:n]
		s.queue = s.queue[n:]
		s.mu.Unlock()
		s.commit(batch)
	}
}

// commit writes a batch in one transaction, each submission's claim and
// response in its own savepoint and then the counts of those stored, a
// bucket at a time, and tells every caller its outcome once the commit is
// done.
func (s *SurveyStore) commit(batch []*submission) {
	// The transaction serves many callers: none of their contexts may
	// cancel it.
	ctx := context.Background()
	errs := make([]error, len(batch))
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		st, err := prepareSubmit(ctx, tx)
		if err != nil {
			return err
		}
		added := buckets{}
		for i, sub := range batch {
			if err := sub.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			if _, err := tx.ExecContext(ctx, `SAVEPOINT submission`); err != nil {
				return err
			}
			if errs[i] = st.submit(ctx, sub); errs[i] != nil {
				// Fails when SQLite itself rolled the transaction back (an
				// I/O error, a full disk): then the whole batch fails.
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO submission`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE submission`); err != nil {
				return err
			}
			if errs[i] == nil {
				added.add(sub.counts...)
			}
		}
		return st.addToBuckets(ctx, added)
	})
	for i, sub := range batch {
		e := errs[i]
		if err != nil && e == nil {
			e = apperr.Internal(err) // the transaction failed: nothing of the batch is stored
		}
		sub.done <- e
	}
}

// The statements that read and write one bucket of counters.
const (
	readBucketSQL = `SELECT counts FROM survey_buckets
		WHERE survey_id = ? AND period = ? AND agency_code = ? AND area_code = ? AND version = ?`
	writeBucketSQL = `INSERT INTO survey_buckets (survey_id, period, agency_code, area_code, version, counts)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET counts = excluded.counts`
)

// submitStmts are the statements of a submission, prepared once per batch.
type submitStmts struct {
	spendToken, tokenExists, addParticipant, addResponse, readBucket, writeBucket *sql.Stmt
}

func prepareSubmit(ctx context.Context, tx *sql.Tx) (*submitStmts, error) {
	var st submitStmts
	for _, p := range []struct {
		stmt **sql.Stmt
		q    string
	}{
		{&st.spendToken, `UPDATE survey_invitations SET used_at = ? WHERE token_hash = ? AND survey_id = ? AND used_at IS NULL`},
		{&st.tokenExists, `SELECT 1 FROM survey_invitations WHERE token_hash = ? AND survey_id = ?`},
		{&st.addParticipant, `INSERT INTO survey_participants (survey_id, participant) VALUES (?, ?)`},
		{&st.addResponse, `INSERT INTO survey_responses (id, survey_id, version, agency_code, area_code, channel, answers, submitted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.readBucket, readBucketSQL},
		{&st.writeBucket, writeBucketSQL},
	} {
		stmt, err := tx.PrepareContext(ctx, p.q) // closed by the commit or rollback
		if err != nil {
			return nil, err
		}
		*p.stmt = stmt
	}
	return &st, nil
}

// submit spends the claim and stores the response; its counts are added
// with the batch's.
func (st *submitStmts) submit(ctx context.Context, sub *submission) error {
	r := sub.r
	if h := sub.claim.TokenHash; h != "" {
		res, err := st.spendToken.ExecContext(ctx, ts(r.SubmittedAt), h, r.SurveyID)
		if err != nil {
			return apperr.Internal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			err := st.tokenExists.QueryRowContext(ctx, h, r.SurveyID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return errInvitationNotFound()
			}
			if err != nil {
				return apperr.Internal(err)
			}
			return errClaimSpent()
		}
	} else {
		_, err := st.addParticipant.ExecContext(ctx, r.SurveyID, sub.claim.Participant)
		if isUniqueViolation(err) {
			return errClaimSpent()
		}
		if err != nil {
			return apperr.Internal(err)
		}
	}
	_, err := st.addResponse.ExecContext(ctx, r.ID, r.SurveyID, r.Version, r.AgencyCode, r.AreaCode, string(r.Channel), sub.answers, ts(r.SubmittedAt))
	if isUniqueViolation(err) {
		return apperr.ConflictOf(apperr.KindExists, i18n.T("Phiếu trả lời đã tồn tại", "the response exists"))
	}
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// addToBuckets adds counters to their stored buckets: each bucket is read,
// added to and written back once.
func (st *submitStmts) addToBuckets(ctx context.Context, added buckets) error {
	for _, k := range added.keys() {
		var packed []byte
		err := st.readBucket.QueryRowContext(ctx, k.surveyID, k.period, k.agency, k.area, k.version).Scan(&packed)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		b := added[k]
		if err := b.unpack(packed); err != nil {
			return fmt.Errorf("survey bucket %v: %w", k, err)
		}
		if _, err := st.writeBucket.ExecContext(ctx, k.surveyID, k.period, k.agency, k.area, k.version, b.pack()); err != nil {
			return err
		}
	}
	return nil
}

// bucketKey names a bucket of counters: those of one survey version for
// an agency and area in a month.
type bucketKey struct {
	surveyID, period, agency, area string
	version                        int
}

func (k bucketKey) compare(o bucketKey) int {
	return cmp.Or(strings.Compare(k.surveyID, o.surveyID), strings.Compare(k.period, o.period),
		strings.Compare(k.agency, o.agency), strings.Compare(k.area, o.area), cmp.Compare(k.version, o.version))
}

// counter is a question and answer within a bucket.
type counter struct{ question, answer string }

// bucket is the counters of a bucket being added up.
type bucket map[counter]int64

// buckets are counters being added up, by bucket.
type buckets map[bucketKey]bucket

// add adds counts to the buckets of their own keys.
func (bs buckets) add(counts ...survey.Count) {
	for _, c := range counts {
		k := bucketKey{surveyID: c.SurveyID, period: c.Period, agency: c.AgencyCode, area: c.AreaCode, version: c.Version}
		b := bs[k]
		if b == nil {
			b = bucket{}
			bs[k] = b
		}
		b[counter{c.Question, c.Answer}] += c.N
	}
}

// keys returns the buckets' keys in the table's order.
func (bs buckets) keys() []bucketKey {
	keys := make([]bucketKey, 0, len(bs))
	for k := range bs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, bucketKey.compare)
	return keys
}

// pack encodes b as a bucket's counts column: one line
// "question\tanswer\tn\n" per counter, sorted by question then answer
// (bytewise), with a backslash, tab or newline in a question or answer
// written \\, \t or \n, and counters at 0 left out. It is plain text
// that Go splits without a parser (and migration 0015 builds with
// group_concat); codes and answers are short, so it stays a few KB.
func (b bucket) pack() string {
	keys := make([]counter, 0, len(b))
	for k, n := range b {
		if n != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y counter) int {
		return cmp.Or(strings.Compare(x.question, y.question), strings.Compare(x.answer, y.answer))
	})
	buf := make([]byte, 0, 24*len(keys))
	for _, k := range keys {
		buf = appendEscaped(buf, k.question)
		buf = append(buf, '\t')
		buf = appendEscaped(buf, k.answer)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, b[k], 10)
		buf = append(buf, '\n')
	}
	return string(buf)
}

// unpack adds the packed counters to b.
func (b bucket) unpack(packed []byte) error {
	return eachCounter(packed, func(qa []byte, tab int, n int64) {
		b[counter{unescape(qa[:tab]), unescape(qa[tab+1:])}] += n
	})
}

func appendEscaped(buf []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\\t\n") {
		return append(buf, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\n':
			buf = append(buf, '\\', 'n')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

func unescape(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+1 < len(b) {
			i++
			switch b[i] {
			case 't':
				c = '\t'
			case 'n':
				c = '\n'
			default:
				c = b[i]
			}
		}
		out = append(out, c)
	}
	return string(out)
}

var errPacked = errors.New("malformed packed counters")

// eachCounter calls fn with each line of packed counters: qa is the
// line's "question\tanswer" still escaped, tab the index of its tab, n
// the count.
func eachCounter(packed []byte, fn func(qa []byte, tab int, n int64)) error {
	for len(packed) > 0 {
		end := bytes.IndexByte(packed, '\n')
		if end < 0 {
			return errPacked
		}
		line := packed[:end]
		packed = packed[end+1:]
		tab := bytes.IndexByte(line, '\t')
		last := bytes.LastIndexByte(line, '\t')
		if tab < 0 || last == tab {
			return errPacked
		}
		n, ok := parseCount(line[last+1:])
		if !ok {
			return errPacked
		}
		fn(line[:last], tab, n)
	}
	return nil
}

// parseCount reads a decimal count, maybe negative, without allocating.
func parseCount(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// Counts reads one range of the buckets' primary key, the survey's months
// from q.FromPeriod to q.ToPeriod, and unpacks the buckets, summing them
// as it goes when q.Collapse asks for it.
func (s *SurveyStore) Counts(ctx context.Context, q survey.CountQuery) ([]survey.Count, error) {
	query := `SELECT period, agency_code, area_code, version, counts FROM survey_buckets WHERE survey_id = ? AND period >= ?`
	args := []any{q.SurveyID, q.FromPeriod}
	if q.ToPeriod != "" {
		query += ` AND period <= ?`
		args = append(args, q.ToPeriod)
	}
	if q.AgencyCode != "" {
		query += ` AND agency_code = ?`
		args = append(args, q.AgencyCode)
	}
	if q.AreaCode != "" {
		query += ` AND area_code = ?`
		args = append(args, q.AreaCode)
	}
	rows, err := s.db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	cr := newCountReader(q)
	var period, agency, area string
	var version int
	var packed sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&period, &agency, &area, &version, &packed); err != nil {
			return nil, apperr.Internal(err)
		}
		if err := cr.add(period, agency, area, version, packed); err != nil {
			return nil, apperr.Internal(fmt.Errorf("survey bucket %s/%s/%s/%s/%d: %w", q.SurveyID, period, agency, area, version, err))
		}
	}
	return cr.out, apperr.InternalOrNil(rows.Err())
}

// countReader turns buckets into counters (N > 0 only). Each distinct
// line of the buckets gets a small id the first time it is met, with its
// question and answer unescaped once; collapsing then adds a line's count
// to its kept key's counter through that id, and no string is made per
// line.
type countReader struct {
	q   survey.CountQuery
	out []survey.Count
	// Counter ids: by escaped "question\tanswer", and each id's question
	// and answer.
	ids       map[string]int32
	questions []string
	answers   []string
	// groups are, when collapsing, the slots of each kept (agency, area,
	// period): a counter id's slot holds 1 + its counter's index in out, or
	// 0 while there is none.
	groups map[[3]string][]int32
}

func newCountReader(q survey.CountQuery) *countReader {
	return &countReader{q: q, out: []survey.Count{}, ids: map[string]int32{}, groups: map[[3]string][]int32{}}
}

// id returns the counter id of qa, a line's escaped question and answer
// split at tab.
func (cr *countReader) id(qa []byte, tab int) int32 {
	if id, ok := cr.ids[string(qa)]; ok {
		return id
	}
	id := int32(len(cr.questions))
	cr.ids[string(qa)] = id
	cr.questions = append(cr.questions, unescape(qa[:tab]))
	cr.answers = append(cr.answers, unescape(qa[tab+1:]))
	return id
}

func (cr *countReader) add(period, agency, area string, version int, packed []byte) error {
	if !cr.q.Collapse {
		base := survey.Count{SurveyID: cr.q.SurveyID, Version: version, AgencyCode: agency, AreaCode: area, Period: period}
		return eachCounter(packed, func(qa []byte, tab int, n int64) {
			id := cr.id(qa, tab)
			if n > 0 {
				c := base
				c.Question, c.Answer, c.N = cr.questions[id], cr.answers[id], n
				cr.out = append(cr.out, c)
			}
		})
	}
	if !cr.q.KeepAgency {
		agency = ""
	}
	if !cr.q.KeepArea {
		area = ""
	}
	if !cr.q.KeepPeriod {
		period = ""
	}
	dims := [3]string{agency, area, period}
	slots := cr.groups[dims]
	err := eachCounter(packed, func(qa []byte, tab int, n int64) {
		id := cr.id(qa, tab)
		if n <= 0 {
			return
		}
		if int(id) >= len(slots) {
			slots = append(slots, make([]int32, int(id)+1-len(slots))...)
		}
		if i := slots[id]; i > 0 {
			cr.out[i-1].N += n
			return
		}
		cr.out = append(cr.out, survey.Count{SurveyID: cr.q.SurveyID, AgencyCode: agency, AreaCode: area, Period: period,
			Question: cr.questions[id], Answer: cr.answers[id], N: n})
		slots[id] = int32(len(cr.out))
	})
	cr.groups[dims] = slots
	return err
}

// Responses returns a page of a survey's responses in ID order.
func (s *SurveyStore) Responses(ctx context.Context, surveyID, after string, limit int) ([]survey.Response, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, survey_id, version, agency_code, area_code, channel, answers, submitted_at
		FROM survey_responses WHERE survey_id = ? AND id > ? ORDER BY id LIMIT ?`, surveyID, after, limit)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []survey.Response{}
	for rows.Next() {
		var r survey.Response
		var channel, answers, submitted string
		if err := rows.Scan(&r.ID, &r.SurveyID, &r.Version, &r.AgencyCode, &r.AreaCode, &channel, &answers, &submitted); err != nil {
			return nil, apperr.Internal(err)
		}
		if err := json.Unmarshal([]byte(answers), &r.Answers); err != nil {
			return nil, apperr.Internal(err)
		}
		r.Channel, r.SubmittedAt = survey.Channel(channel), parseTS(submitted)
		out = append(out, r)
	}
	return out, apperr.InternalOrNil(rows.Err())
}

// ReplaceCounts swaps the survey's buckets in one transaction, so readers
// see the old set or the new one. Every count is stored under surveyID;
// counts with the same key are added up.
func (s *SurveyStore) ReplaceCounts(ctx context.Context, surveyID string, counts []survey.Count) error {
	bs := buckets{}
	for _, c := range counts {
		c.SurveyID = surveyID
		bs.add(c)
	}
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM survey_buckets WHERE survey_id = ?`, surveyID); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, writeBucketSQL)
		if err != nil {
			return err
		}
		for _, k := range bs.keys() {
			packed := bs[k].pack()
			if packed == "" {
				continue
			}
			if _, err := stmt.ExecContext(ctx, k.surveyID, k.period, k.agency, k.area, k.version, packed); err != nil {
				return err
			}
		}
		return nil
	})
	return apperr.InternalOrNil(err)
}
