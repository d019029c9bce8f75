package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
	"camaug/survey"
)

// benchDB returns a database holding n reports, built once and kept in
// the temp folder (building a million takes a minute). 30% cluster within
// 5 km of Cà Mau city centre, the rest spread over the province, with the
// status mix of a service in steady state (most reports closed).
func benchDB(b *testing.B, n int) *DB {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("camaug-bench-reports-%d.db", n))
	ctx := context.Background()
	if _, err := os.Stat(path); err == nil {
		db, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		return db
	}
	tmp := path + ".building"
	os.Remove(tmp)
	db, err := Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []feedback.Status{feedback.StatusClosed, feedback.StatusClosed, feedback.StatusClosed, feedback.StatusResolved,
		feedback.StatusInProgress, feedback.StatusDispatched, feedback.StatusSubmitted, feedback.StatusRejected}
	cats := []string{"cap-thoat-nuoc", "ha-tang-do-thi", "ve-sinh-moi-truong", "dien-chieu-sang", "an-ninh-trat-tu", "khac"}
	titles := []string{"Ngập nước sau mưa", "Đèn đường hỏng", "Rác thải ùn ứ", "Ổ gà trên đường", "Cống bị tắc", "Lấn chiếm vỉa hè",
		"Cây xanh gãy đổ", "Nước sinh hoạt đục", "Tiếng ồn ban đêm", "Biển báo bị mất"}
	agencies := []string{"cap-nuoc-ca-mau", "so-xay-dung", "dien-luc-ca-mau", "cong-trinh-do-thi-ca-mau", "ubnd-phuong-an-xuyen",
		"ubnd-phuong-tan-thanh", "cong-an-tinh", "so-nong-nghiep-moi-truong", "trung-tam-giam-sat-dieu-hanh", "so-y-te"}
	areas := []string{"ca-mau", "phuong-an-xuyen", "phuong-tan-thanh", "phuong-ly-van-lam", "phuong-bac-lieu", "xa-nam-can",
		"xa-cai-nuoc", "xa-u-minh", "xa-dam-doi", "xa-thoi-binh"}
	reason, _ := json.Marshal(i18n.T("quy tắc", "rule"))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for done := 0; done < n; {
		batch := min(50_000, n-done)
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO reports (`+reportColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			search, err := tx.PrepareContext(ctx, `INSERT INTO reports_search (rowid, report_id, body) VALUES (last_insert_rowid(), ?, ?)`)
			if err != nil {
				return err
			}
			defer search.Close()
			for i := 0; i < batch; i++ {
				var p feedback.Point
				if rng.Float64() < 0.3 {
					p = feedback.Point{Lat: 9.1769 + (rng.Float64()-0.5)*0.09, Lng: 105.1524 + (rng.Float64()-0.5)*0.09}
				} else {
					p = feedback.Point{Lat: 8.6 + rng.Float64()*1.0, Lng: 104.8 + rng.Float64()*1.0}
				}
				created := ts(base.Add(time.Duration(done+i) * time.Second))
				id := ids.New()
				status := statuses[rng.IntN(len(statuses))]
				due := ""
				if status == feedback.StatusSubmitted || status == feedback.StatusDispatched || status == feedback.StatusInProgress {
					due = dueKey(base.Add(time.Duration(rng.IntN(30*24)) * time.Hour))
				}
				title := titles[rng.IntN(len(titles))]
				agency := agencies[rng.IntN(len(agencies))]
				area := areas[rng.IntN(len(areas))]
				_, err := stmt.ExecContext(ctx, id, fmt.Sprintf("CM-B%09d", done+i), fmt.Sprintf("u%d", rng.IntN(200_000)), true, "",
					cats[rng.IntN(len(cats))], area, agency, "", string(reason), title, "Phản ánh thử tải hiệu năng số "+strconv.Itoa(done+i), "",
					p.Lat, p.Lng, feedback.Geohash(p, 7), rng.IntN(20) == 0, "vi", string(status),
					created, created, created, nil, created, created, 1, 0, "", nil, "", "", nil, due, nil, nil)
				if err != nil {
					return err
				}
				if _, err := search.ExecContext(ctx, id, feedback.SearchText(title+" Phản ánh thử tải hiệu năng")); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += batch
	}
	db.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	db, err = Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkNearby measures GET /v1/reports/nearby's work (cells, indexed
// read, exact distance in Go) at 150 m in the dense city centre, where
// candidates are most numerous, and reports the median.
//
//	CAMAUG_BENCH_REPORTS=1000000 go test ./internal/store/sqlite -run '^$' -bench Nearby -benchtime 2000x
func BenchmarkNearby(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_REPORTS")); err == nil && v > 0 {
		n = v
	}
	db := benchDB(b, n)
	defer db.Close()
	svc := feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), feedback.NewReferenceService(db.Reference()), nil)
	for _, radius := range []float64{150, 2000} {
		b.Run(fmt.Sprintf("n=%d/radius=%.0fm", n, radius), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			ctx := context.Background()
			lat := make([]time.Duration, b.N)
			found := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := feedback.Point{Lat: 9.1769 + (rng.Float64()-0.5)*0.05, Lng: 105.1524 + (rng.Float64()-0.5)*0.05}
				t0 := time.Now()
				list, err := svc.FindNearby(ctx, p, "", radius)
				lat[i] = time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				found += len(list)
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "median_ms")
			b.ReportMetric(float64(lat[b.N*99/100].Microseconds())/1000, "p99_ms")
			b.ReportMetric(float64(found)/float64(b.N), "results/op")
		})
	}
}

// BenchmarkFeedAndQueue measures the public feed (filtered by category and
// area), the public search and an agency's work queue, at n reports.
//
//	CAMAUG_BENCH_REPORTS=1000000 go test ./internal/store/sqlite -run '^$' -bench FeedAndQueue -benchtime 1000x
func BenchmarkFeedAndQueue(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_REPORTS")); err == nil && v > 0 {
		n = v
	}
	db := benchDB(b, n)
	defer db.Close()
	svc := feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), feedback.NewReferenceService(db.Reference()), nil)
	ctx := context.Background()
	officer := identity.Principal{UserID: "o", Role: identity.RoleOfficer, AgencyCode: "so-xay-dung"}
	cases := []struct {
		name string
		run  func() (int, error)
	}{
		{"feed/category+area", func() (int, error) {
			l, _, err := svc.Feed(ctx, feedback.FeedInput{CategoryCode: "cap-thoat-nuoc", AreaCode: "phuong-an-xuyen", Limit: 20})
			return len(l), err
		}},
		{"feed/newest", func() (int, error) {
			l, _, err := svc.Feed(ctx, feedback.FeedInput{Limit: 20})
			return len(l), err
		}},
		{"feed/bbox-city-4km", func() (int, error) {
			l, _, err := svc.Feed(ctx, feedback.FeedInput{BBox: &[4]float64{105.1324, 9.1569, 105.1724, 9.1969}, Limit: 20})
			return len(l), err
		}},
		{"feed/bbox-rural-1km", func() (int, error) {
			// A few reports: without a plan by place, the walk reads every
			// report looking for 20.
			l, _, err := svc.Feed(ctx, feedback.FeedInput{BBox: &[4]float64{105.5, 9.3, 105.51, 9.31}, Limit: 20})
			return len(l), err
		}},
		{"feed/bbox-rural-10km+category", func() (int, error) {
			l, _, err := svc.Feed(ctx, feedback.FeedInput{BBox: &[4]float64{105.45, 9.25, 105.55, 9.35}, CategoryCode: "khac", Limit: 20})
			return len(l), err
		}},
		{"search/two-words", func() (int, error) {
			l, _, err := svc.Feed(ctx, feedback.FeedInput{Query: "ngap nuoc", Limit: 20})
			return len(l), err
		}},
		{"search/rare", func() (int, error) {
			l, _, err := svc.Feed(ctx, feedback.FeedInput{Query: "bien bao", CategoryCode: "khac", Limit: 20})
			return len(l), err
		}},
		{"queue/agency", func() (int, error) {
			l, _, err := svc.Queue(ctx, officer, feedback.QueueInput{Limit: 20})
			return len(l), err
		}},
		{"queue/agency+category", func() (int, error) {
			l, _, err := svc.Queue(ctx, officer, feedback.QueueInput{CategoryCode: "ha-tang-do-thi", Limit: 20})
			return len(l), err
		}},
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("n=%d/%s", n, c.name), func(b *testing.B) {
			lat := make([]time.Duration, b.N)
			found := 0
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				k, err := c.run()
				lat[i] = time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				found += k
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "median_ms")
			b.ReportMetric(float64(lat[b.N*99/100].Microseconds())/1000, "p99_ms")
			b.ReportMetric(float64(found)/float64(b.N), "results/op")
		})
	}
}

// schemaVersion is the number of the newest migration: cached benchmark
// databases carry it in their name, so a schema change builds new ones.
func schemaVersion(b *testing.B) int {
	b.Helper()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		b.Fatal(err)
	}
	v := 0
	for _, name := range names {
		num, _, _ := strings.Cut(strings.TrimPrefix(name, "migrations/"), "_")
		n, _ := strconv.Atoi(num)
		v = max(v, n)
	}
	return v
}

// benchForm is the SIPAS template (5 elements, 22 likert criteria, four
// profile questions, feedback criteria asked only of those who gave
// feedback) with its skip conditions parsed once.
type benchForm struct {
	q    survey.Questionnaire
	asks map[string]*survey.Condition
}

func newBenchForm(b *testing.B) *benchForm {
	b.Helper()
	_, q, err := survey.Template("sipas-2017")
	if err != nil {
		b.Fatal(err)
	}
	f := &benchForm{q: q, asks: map[string]*survey.Condition{}}
	for _, s := range q.Sections {
		for _, qu := range s.Questions {
			c, err := survey.ParseCondition(qu.Relevant)
			if err != nil {
				b.Fatal(err)
			}
			f.asks[qu.Code] = c
		}
	}
	return f
}

var (
	benchAgencies = []string{"so-tu-phap", "so-y-te", "so-xay-dung", "so-tai-chinh", "so-noi-vu", "so-giao-duc", "so-cong-thuong",
		"so-nong-nghiep-moi-truong", "ubnd-phuong-an-xuyen", "ubnd-xa-nam-can"}
	benchAreas = []string{"phuong-an-xuyen", "xa-nam-can"}
)

// answer fills in the form as a respondent of agency number agency would:
// every profile question, likert criteria mostly satisfied (less so at
// higher agency numbers) with some "na", feedback criteria only after
// "yes, I gave feedback" (three in ten), a comment now and then.
func (f *benchForm) answer(rng *rand.Rand, agency int) survey.Answers {
	a := survey.Answers{}
	for _, s := range f.q.Sections {
		for _, qu := range s.Questions {
			if !f.asks[qu.Code].Eval(a) {
				continue
			}
			switch qu.Type {
			case survey.TypeSingleChoice:
				a[qu.Code] = qu.Options[rng.IntN(len(qu.Options))].Value
			case survey.TypeYesNo:
				yes := rng.IntN(10) < 9
				if qu.Code == "q_gave_feedback" {
					yes = rng.IntN(10) < 3
				}
				a[qu.Code] = map[bool]string{true: "yes", false: "no"}[yes]
			case survey.TypeLikert5:
				switch x := rng.IntN(100); {
				case x < 4:
					a[qu.Code] = survey.NA
				case x < 4+3*agency:
					a[qu.Code] = strconv.Itoa(1 + rng.IntN(3))
				default:
					a[qu.Code] = strconv.Itoa(3 + rng.IntN(3))
				}
			case survey.TypeText:
				if rng.IntN(10) == 0 {
					a[qu.Code] = "Cán bộ tiếp nhận nhiệt tình, hướng dẫn rõ ràng"
				}
			}
		}
	}
	return a
}

// response makes a response to version 1 of surveyID from a random agency
// and area, submitted at a random time of 2026 when at is zero, and its
// counts.
func (f *benchForm) response(rng *rand.Rand, surveyID string, at time.Time) (survey.Response, []survey.Count) {
	agency := rng.IntN(len(benchAgencies))
	if at.IsZero() {
		at = time.Date(2026, time.Month(1+rng.IntN(12)), 2+rng.IntN(26), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC)
	}
	r := survey.Response{ID: ids.New(), SurveyID: surveyID, Version: 1, AgencyCode: benchAgencies[agency],
		AreaCode: benchAreas[rng.IntN(len(benchAreas))], Channel: survey.ChannelInvitation, Answers: f.answer(rng, agency), SubmittedAt: at}
	return r, survey.CountsFor(&f.q, r)
}

// benchSurveyDB returns a database holding n responses to the SIPAS
// template from 10 agencies × 2 areas over the 12 months of 2026, built
// once and kept in the temp folder. The responses are inserted in
// transactions of 50,000 and the counters, added up in memory, written as
// buckets at the end: the same rows ingestion leaves, a million in about a
// minute.
func benchSurveyDB(b *testing.B, n int) (*DB, string, *benchForm) {
	b.Helper()
	const surveyID = "01bench0000000000000000000"
	f := newBenchForm(b)
	path := filepath.Join(os.TempDir(), fmt.Sprintf("camaug-bench-surveys-sipas-%d-schema%d.db", n, schemaVersion(b)))
	ctx := context.Background()
	if _, err := os.Stat(path); err == nil {
		db, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		return db, surveyID, f
	}
	tmp := path + ".building"
	os.Remove(tmp)
	db, err := Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	sv := &survey.Survey{ID: surveyID, Kind: survey.KindSIPAS, Template: "sipas", Title: i18n.T("Khảo sát thử tải", "Load test survey"),
		Status: survey.StatusPublished, Questionnaire: f.q, Version: 1, PublishedVersion: 1, CreatedAt: now, UpdatedAt: now,
		Period: survey.Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}}
	st := db.Surveys()
	if err := st.CreateSurvey(ctx, sv); err != nil {
		b.Fatal(err)
	}
	if err := st.PutVersion(ctx, survey.Version{SurveyID: surveyID, Number: 1, Questionnaire: f.q, PublishedAt: now}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	counts := buckets{}
	for done := 0; done < n; {
		batch := min(50_000, n-done)
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO survey_responses (id, survey_id, version, agency_code, area_code, channel, answers, submitted_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i := 0; i < batch; i++ {
				r, cs := f.response(rng, surveyID, time.Time{})
				answers, err := json.Marshal(r.Answers)
				if err != nil {
					return err
				}
				if _, err := stmt.ExecContext(ctx, r.ID, r.SurveyID, r.Version, r.AgencyCode, r.AreaCode, string(r.Channel), answers, ts(r.SubmittedAt)); err != nil {
					return err
				}
				counts.add(cs...)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += batch
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		for _, k := range counts.keys() {
			if _, err := tx.ExecContext(ctx, writeBucketSQL, k.surveyID, k.period, k.agency, k.area, k.version, counts[k].pack()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	os.Remove(tmp + "-wal")
	os.Remove(tmp + "-shm")
	db, err = Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	return db, surveyID, f
}

func benchResponses() int {
	if v, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_RESPONSES")); err == nil && v > 0 {
		return v
	}
	return 10_000
}

// timed runs op b.N times and reports its median and 99th percentile.
func timed(b *testing.B, op func() error) {
	b.Helper()
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		err := op()
		lat[i] = time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "median_ms")
	b.ReportMetric(float64(lat[b.N*99/100].Microseconds())/1000, "p99_ms")
}

// BenchmarkSurveyCounts measures reading one survey's counters at n stored
// responses: every counter apart over a year, a quarter, and a year of one
// agency, and a year summed as the indicators ask (by agency, and into
// one).
//
//	CAMAUG_BENCH_RESPONSES=1000000 go test ./internal/store/sqlite -run '^$' -bench SurveyCounts -benchtime 200x
func BenchmarkSurveyCounts(b *testing.B) {
	n := benchResponses()
	db, surveyID, _ := benchSurveyDB(b, n)
	defer db.Close()
	st := db.Surveys()
	ctx := context.Background()
	year := survey.CountQuery{SurveyID: surveyID, FromPeriod: "2026-01", ToPeriod: "2026-12"}
	with := func(f func(*survey.CountQuery)) survey.CountQuery {
		q := year
		f(&q)
		return q
	}
	for _, c := range []struct {
		name string
		q    survey.CountQuery
	}{
		{"year", year},
		{"quarter", with(func(q *survey.CountQuery) { q.FromPeriod = "2026-10" })},
		{"agency-year", with(func(q *survey.CountQuery) { q.AgencyCode = "so-y-te" })},
		{"year-by-agency", with(func(q *survey.CountQuery) { q.Collapse, q.KeepAgency = true, true })},
		{"year-collapsed", with(func(q *survey.CountQuery) { q.Collapse = true })},
	} {
		b.Run(fmt.Sprintf("n=%d/%s", n, c.name), func(b *testing.B) {
			var counts []survey.Count
			timed(b, func() (err error) {
				counts, err = st.Counts(ctx, c.q)
				return err
			})
			var responses int64
			for _, k := range counts {
				if k.Question == survey.CountResponses {
					responses += k.N
				}
			}
			b.ReportMetric(float64(len(counts)), "counters")
			b.ReportMetric(float64(responses), "responses")
		})
	}
}

// BenchmarkSurveyIndicators measures what an analyst's request for a
// year's SIPAS indexes costs apart from HTTP: reading the counters summed
// as far as the grouping allows, and computing the indexes with their
// intervals, by agency and overall. The budget is 10 ms at a million
// responses, and flat in n.
//
//	CAMAUG_BENCH_RESPONSES=1000000 go test ./internal/store/sqlite -run '^$' -bench SurveyIndicators -benchtime 200x
func BenchmarkSurveyIndicators(b *testing.B) {
	n := benchResponses()
	db, surveyID, f := benchSurveyDB(b, n)
	defer db.Close()
	st := db.Surveys()
	ctx := context.Background()
	for _, groupBy := range []string{survey.GroupByAgency, survey.GroupByNone} {
		name := "by-" + groupBy
		if groupBy == survey.GroupByNone {
			name = "overall"
		}
		b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
			q := survey.CountQuery{SurveyID: surveyID, FromPeriod: "2026-01", ToPeriod: "2026-12", Collapse: true,
				KeepAgency: groupBy == survey.GroupByAgency}
			var overall survey.Breakdown
			var groups []survey.Group
			timed(b, func() error {
				counts, err := st.Counts(ctx, q)
				if err != nil {
					return err
				}
				overall, groups = survey.SIPAS(&f.q, counts, nil, survey.IndicatorOptions{GroupBy: groupBy})
				return nil
			})
			if overall.Respondents != int64(n) || overall.Overall.Value == nil {
				b.Fatalf("got %d respondents and index %v, want %d and an index", overall.Respondents, overall.Overall.Value, n)
			}
			b.ReportMetric(float64(len(groups)), "groups")
		})
	}
}

// BenchmarkSubmitResponse measures ingestion of SIPAS responses with
// synchronous=FULL: one submitter waiting for each commit, and many at
// once, which the group commit batches. Responses are submitted in one
// month, as live ones are: a batch touches at most the 20 buckets of the
// agencies and areas.
//
//	go test ./internal/store/sqlite -run '^$' -bench SubmitResponse -benchtime 20000x
func BenchmarkSubmitResponse(b *testing.B) {
	f := newBenchForm(b)
	surveyID := ids.New()
	type tmpl struct {
		r      survey.Response
		counts []survey.Count
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pool := make([]tmpl, 1000)
	at := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC)
	for i := range pool {
		pool[i].r, pool[i].counts = f.response(rng, surveyID, at)
	}
	var seq atomic.Int64
	next := func() (survey.Response, survey.Claim, []survey.Count) {
		i := seq.Add(1)
		t := pool[i%int64(len(pool))]
		t.r.ID = ids.New()
		return t.r, survey.Claim{Participant: "p" + strconv.FormatInt(i, 10)}, t.counts
	}
	open := func(b *testing.B) survey.Store {
		db, err := Open(context.Background(), filepath.Join(b.TempDir(), "camaug.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db.Surveys()
	}
	b.Run("serial", func(b *testing.B) {
		st := open(b)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r, c, counts := next()
			if err := st.SubmitResponse(ctx, r, c, counts); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "responses/s")
	})
	b.Run("parallel", func(b *testing.B) {
		st := open(b)
		ctx := context.Background()
		b.SetParallelism(32) // 32 submitters per CPU, as concurrent requests
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r, c, counts := next()
				if err := st.SubmitResponse(ctx, r, c, counts); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "responses/s")
	})
}

// BenchmarkHandlingFacts measures the read behind GET
// /v1/indicators/feedback: the reports created in the span with their
// ratings, summed by agency and status in SQL.
// The benchmark data has one report per second from 1 January 2026, so a
// day is 86,400 reports.
//
//	CAMAUG_BENCH_REPORTS=1000000 go test ./internal/store/sqlite -run '^$' -bench HandlingFacts -benchtime 5x
func BenchmarkHandlingFacts(b *testing.B) {
	n := benchReports()
	db := benchDB(b, n)
	defer db.Close()
	st := db.Reports()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, span := range []time.Duration{24 * time.Hour, 400 * 24 * time.Hour} {
		want := min(n, int(span/time.Second))
		b.Run(fmt.Sprintf("reports=%d", want), func(b *testing.B) {
			for b.Loop() {
				groups, err := st.HandlingFacts(ctx, base, base.Add(span), "agency")
				got := 0
				for _, g := range groups {
					got += int(g.N)
				}
				if err != nil || got != want {
					b.Fatalf("%d facts, %v; want %d", got, err, want)
				}
			}
		})
	}
}

// benchReports is the report count of the report benchmarks
// (CAMAUG_BENCH_REPORTS, default 100,000).
func benchReports() int {
	if v, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_REPORTS")); err == nil && v > 0 {
		return v
	}
	return 100_000
}
