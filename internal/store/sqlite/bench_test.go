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

// benchQuestionnaire is a SIPAS-like form: 22 likert criteria in 5
// elements, so a response makes about 28 counts.
func benchQuestionnaire() *survey.Questionnaire {
	q := &survey.Questionnaire{Sections: []survey.Section{{Code: "a", Title: i18n.T("Phần A", "Part A")}}}
	for e := 1; e <= 5; e++ {
		q.Elements = append(q.Elements, survey.Element{Code: fmt.Sprintf("e%d", e), Label: i18n.T("Yếu tố", "Element")})
	}
	for i := 1; i <= 22; i++ {
		q.Sections[0].Questions = append(q.Sections[0].Questions, survey.Question{Code: fmt.Sprintf("q%02d", i), Type: survey.TypeLikert5,
			Label: i18n.T("Tiêu chí", "Criterion"), ElementCode: fmt.Sprintf("e%d", 1+(i-1)%5)})
	}
	return q
}

var (
	benchAgencies = []string{"so-tu-phap", "so-y-te", "so-xay-dung", "so-tai-chinh", "so-noi-vu", "so-giao-duc", "so-cong-thuong",
		"so-nong-nghiep-moi-truong", "ubnd-phuong-an-xuyen", "ubnd-xa-nam-can"}
	benchAreas = []string{"phuong-an-xuyen", "xa-nam-can"}
)

// benchResponse makes a response of survey surveyID with mostly satisfied
// answers, some skipped, submitted in a random month of 2026, and its counts.
func benchResponse(rng *rand.Rand, q *survey.Questionnaire, surveyID string) (survey.Response, []survey.Count) {
	levels := []string{"5", "5", "4", "4", "4", "3", "2", "1", survey.NA}
	r := survey.Response{ID: ids.New(), SurveyID: surveyID, Version: 1, AgencyCode: benchAgencies[rng.IntN(len(benchAgencies))],
		AreaCode: benchAreas[rng.IntN(len(benchAreas))], Channel: survey.ChannelInvitation, Answers: survey.Answers{},
		SubmittedAt: time.Date(2026, time.Month(1+rng.IntN(12)), 2+rng.IntN(26), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC)}
	for _, qu := range q.Sections[0].Questions {
		if rng.IntN(20) > 0 {
			r.Answers[qu.Code] = levels[rng.IntN(len(levels))]
		}
	}
	return r, survey.CountsFor(q, r)
}

// benchSurveyDB returns a database holding n responses of one survey,
// written through the store's own submission code in transactions of
// 10,000, built once and kept in the temp folder.
func benchSurveyDB(b *testing.B, n int) (*DB, string) {
	b.Helper()
	const surveyID = "01bench0000000000000000000"
	path := filepath.Join(os.TempDir(), fmt.Sprintf("camaug-bench-surveys-%d-schema%d.db", n, schemaVersion(b)))
	ctx := context.Background()
	if _, err := os.Stat(path); err == nil {
		db, err := Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		return db, surveyID
	}
	tmp := path + ".building"
	os.Remove(tmp)
	db, err := Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	q := benchQuestionnaire()
	now := time.Now().UTC()
	sv := &survey.Survey{ID: surveyID, Kind: survey.KindSIPAS, Template: "sipas", Title: i18n.T("Khảo sát thử tải", "Load test survey"),
		Status: survey.StatusPublished, Questionnaire: *q, Version: 1, PublishedVersion: 1, CreatedAt: now, UpdatedAt: now}
	st := db.Surveys()
	if err := st.CreateSurvey(ctx, sv); err != nil {
		b.Fatal(err)
	}
	if err := st.PutVersion(ctx, survey.Version{SurveyID: surveyID, Number: 1, Questionnaire: *q, PublishedAt: now}); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for done := 0; done < n; {
		batch := min(10_000, n-done)
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			stmts, err := prepareSubmit(ctx, tx)
			if err != nil {
				return err
			}
			for i := 0; i < batch; i++ {
				r, counts := benchResponse(rng, q, surveyID)
				answers, _ := json.Marshal(r.Answers)
				sub := &submission{ctx: ctx, r: r, answers: string(answers), claim: survey.Claim{Participant: fmt.Sprintf("p%d", done+i)}, counts: counts}
				if err := stmts.submit(ctx, sub); err != nil {
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
	return db, surveyID
}

// BenchmarkSurveyCounts measures reading one survey's counters (what every
// indicator query starts from) at n stored responses: a year, a quarter,
// and a year for one agency.
//
//	CAMAUG_BENCH_RESPONSES=1000000 go test ./internal/store/sqlite -run '^$' -bench SurveyCounts -benchtime 200x
func BenchmarkSurveyCounts(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_RESPONSES")); err == nil && v > 0 {
		n = v
	}
	db, surveyID := benchSurveyDB(b, n)
	defer db.Close()
	st := db.Surveys()
	ctx := context.Background()
	for _, c := range []struct {
		name string
		q    survey.CountQuery
	}{
		{"year", survey.CountQuery{SurveyID: surveyID, FromPeriod: "2026-01", ToPeriod: "2026-12"}},
		{"quarter", survey.CountQuery{SurveyID: surveyID, FromPeriod: "2026-10", ToPeriod: "2026-12"}},
		{"agency-year", survey.CountQuery{SurveyID: surveyID, FromPeriod: "2026-01", ToPeriod: "2026-12", AgencyCode: "so-y-te"}},
	} {
		b.Run(fmt.Sprintf("n=%d/%s", n, c.name), func(b *testing.B) {
			lat := make([]time.Duration, b.N)
			rows := 0
			var responses int64
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				counts, err := st.Counts(ctx, c.q)
				lat[i] = time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(counts)
				responses = 0
				for _, k := range counts {
					if k.Question == survey.CountResponses {
						responses += k.N
					}
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[b.N/2].Microseconds())/1000, "median_ms")
			b.ReportMetric(float64(lat[b.N*99/100].Microseconds())/1000, "p99_ms")
			b.ReportMetric(float64(rows), "counters")
			b.ReportMetric(float64(responses), "responses")
		})
	}
}

// BenchmarkSubmitResponse measures ingestion with synchronous=FULL: one
// submitter waiting for each commit, and many at once, which the group
// commit batches.
//
//	go test ./internal/store/sqlite -run '^$' -bench SubmitResponse -benchtime 20000x
func BenchmarkSubmitResponse(b *testing.B) {
	q := benchQuestionnaire()
	surveyID := ids.New()
	type tmpl struct {
		r      survey.Response
		counts []survey.Count
	}
	rng := rand.New(rand.NewPCG(7, 8))
	pool := make([]tmpl, 1000)
	for i := range pool {
		pool[i].r, pool[i].counts = benchResponse(rng, q, surveyID)
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
