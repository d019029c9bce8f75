package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/identity"
	"camaug/internal/store/mongo"
	"camaug/internal/store/sqlite"
	"camaug/survey"
)

// store is what the harness needs of either database.
type store interface {
	Reference() feedback.ReferenceStore
	Identity() identity.Store
	Reports() feedback.ReportStore
	Media() feedback.MediaStore
	Ratings() feedback.RatingStore
	Surveys() survey.Store
	Close() error
	Ping(ctx context.Context) error
}

// filters are the values the feed and queue scenarios filter on.
type filters struct {
	Category string     `json:"category_code"`
	Area     string     `json:"area_code"`
	Agency   string     `json:"agency_code"`
	Status   string     `json:"status"`
	BBox     string     `json:"bbox"`
	Since    string     `json:"since"`
	Q        string     `json:"q"`
	Nearby   [2]float64 `json:"nearby_centre"`
}

func bench(ctx context.Context, o options, getenv func(string) string, logw io.Writer) (*report, error) {
	d, err := time.ParseDuration(o.Duration)
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("-duration: want a duration like 5s, got %q", o.Duration)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(logw, format+"\n", args...) }
	dir := o.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "camaug-bench-"); err != nil {
			return nil, err
		}
		if !o.Keep {
			defer os.RemoveAll(dir)
		}
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	rep := &report{Reports: o.N, Clients: o.Clients, Duration: d.String()}

	var st store
	dbPath := filepath.Join(dir, "camaug.db")
	if uri := getenv("MONGODB_URI"); uri != "" {
		name := fmt.Sprintf("camaug_bench_%d", time.Now().Unix())
		db, err := mongo.Open(ctx, uri, mongo.Options{Database: name, WriteConcern: getenv("CAMAUG_MONGODB_WRITE_CONCERN"),
			AllowWeakWrites: getenv(mongo.AllowWeakWritesVar) == "true"})
		if err != nil {
			return nil, err
		}
		st, rep.Store = db, "mongodb ("+mongo.Redact(uri)+", database "+name+")"
	} else {
		if _, err := os.Stat(dbPath); err == nil {
			return nil, fmt.Errorf("%s exists: give an empty -data-dir (the harness fills its own store)", dbPath)
		}
		db, err := sqlite.Open(ctx, dbPath)
		if err != nil {
			return nil, err
		}
		st, rep.Store = db, "sqlite ("+dbPath+")"
	}
	defer st.Close()

	// The ceilings first, on the idle machine.
	client := newClient(o.Clients)
	logf("measuring the ceilings (%s each)...", d)
	commit, err := commitCeiling(ctx, dir, o.Clients, d)
	if err != nil {
		return nil, err
	}
	empty, err := httpCeiling(client, o.Clients, d)
	if err != nil {
		return nil, err
	}
	rep.Results = append(rep.Results, commit, empty)

	// Reference data, services and accounts, as the program wires them.
	ref := feedback.NewReferenceService(st.Reference())
	if _, err := ref.SeedDefault(ctx); err != nil {
		return nil, err
	}
	keys, err := identity.NewKeyring(ctx, st.Identity(), []byte("camaug-bench key secret, not for production"))
	if err != nil {
		return nil, err
	}
	ids := identity.NewService(st.Identity(), keys, identity.Config{})
	w, err := newWorld(ctx, ref)
	if err != nil {
		return nil, err
	}
	citizen, _, err := ids.Register(ctx, identity.Principal{}, identity.RegisterInput{Email: "citizen@bench.invalid",
		Password: "bench-password-1", Name: "Người dân thử tải", Locale: "vi"})
	if err != nil {
		return nil, fmt.Errorf("citizen account: %w", err)
	}
	w.citizenID = citizen.ID
	officerAgency := w.categories[0].DefaultAgencyCode
	if _, err := ids.AddStaff(ctx, identity.StaffInput{Role: identity.RoleOfficer, Email: "officer@bench.invalid", Name: "Cán bộ thử tải",
		Password: "bench-password-1", AgencyCode: officerAgency}); err != nil {
		return nil, fmt.Errorf("officer account: %w", err)
	}
	for _, st := range []struct {
		role  identity.Role
		email string
	}{{identity.RoleAdmin, "admin@bench.invalid"}, {identity.RoleAnalyst, "analyst@bench.invalid"}} {
		if _, err := ids.AddStaff(ctx, identity.StaffInput{Role: st.role, Email: st.email, Name: "Thử tải " + string(st.role),
			Password: "bench-password-1"}); err != nil {
			return nil, fmt.Errorf("%s account: %w", st.role, err)
		}
	}

	// Fill, keeping some IDs for the scenarios.
	var agencyReports, mine, toAccept []string
	bulk, ok := st.Reports().(feedback.BulkReportStore)
	if !ok {
		return nil, fmt.Errorf("the store has no bulk path")
	}
	logf("filling %d reports...", o.N)
	started := time.Now()
	last := time.Now()
	err = fill(ctx, bulk, w, o.N, 5000, func(r *feedback.Report) {
		switch {
		case r.ReporterID == w.citizenID:
			mine = append(mine, r.ID)
		case r.Status == feedback.StatusDispatched && r.AgencyCode == officerAgency:
			toAccept = append(toAccept, r.ID)
		case r.AgencyCode == officerAgency && len(agencyReports) < 50_000:
			agencyReports = append(agencyReports, r.ID)
		}
	}, func(done int) {
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			logf("  %d reports, %.0f/s", done, float64(done)/time.Since(started).Seconds())
		}
	})
	if err != nil {
		return nil, err
	}
	rep.FillSeconds = time.Since(started).Seconds()
	rep.FillPerSecond = float64(o.N) / rep.FillSeconds
	logf("filled in %.1f s (%.0f reports/s)", rep.FillSeconds, rep.FillPerSecond)
	if len(mine) == 0 || len(agencyReports) == 0 {
		return nil, fmt.Errorf("the fill made no report of the bench citizen or of the officer's agency: use a larger -n")
	}

	// Sign in now: a long fill outlasts an access token.
	citizenTokens, err := ids.Login(ctx, "citizen@bench.invalid", "bench-password-1", "127.0.0.1")
	if err != nil {
		return nil, err
	}
	officerTokens, err := ids.Login(ctx, "officer@bench.invalid", "bench-password-1", "127.0.0.1")
	if err != nil {
		return nil, err
	}
	adminTokens, err := ids.Login(ctx, "admin@bench.invalid", "bench-password-1", "127.0.0.1")
	if err != nil {
		return nil, err
	}
	analystTokens, err := ids.Login(ctx, "analyst@bench.invalid", "bench-password-1", "127.0.0.1")
	if err != nil {
		return nil, err
	}

	// The service on a loopback listener, as cmd/camaug serves it.
	reports := feedback.NewReportService(st.Reports(), st.Media(), st.Ratings(), ref, nil)
	surveys := survey.NewService(st.Surveys(), st.Ratings(), ref, nil)
	// The service on a loopback listener, as cmd/camaug serves it, and
	// the same without the public list cache for the uncached scenarios.
	var stops []func()
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	serve := func(cacheTTL time.Duration) (string, error) {
		app := api.New(api.Config{Reference: ref, Identity: ids, Reports: reports, Surveys: surveys, Ready: st.Ping,
			Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), BodyLimit: 11 << 20, PublicCacheTTL: cacheTTL})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		go app.Listener(ln)
		stops = append(stops, func() { app.Shutdown() })
		return "http://" + ln.Addr().String(), nil
	}
	base, err := serve(o.PublicCache)
	if err != nil {
		return nil, err
	}
	uncached, err := serve(0)
	if err != nil {
		return nil, err
	}

	f := filters{Category: w.categories[0].Code, Area: w.areas[0], Agency: officerAgency, Status: string(feedback.StatusInProgress),
		BBox:  fmt.Sprintf("%.4f,%.4f,%.4f,%.4f", cityCentre.Lng-0.02, cityCentre.Lat-0.02, cityCentre.Lng+0.02, cityCentre.Lat+0.02),
		Since: w.end.Add(-30 * 24 * time.Hour).Format(time.RFC3339), Q: "ngap nuoc", Nearby: [2]float64{cityCentre.Lat, cityCentre.Lng}}
	rep.Filters = f
	sc := scenarios(base, client, f, citizenTokens.AccessToken, officerTokens.AccessToken, agencyReports, mine, toAccept)
	sc = append(sc, queueCountScenarios(base, client, f, officerTokens.AccessToken, adminTokens.AccessToken)...) // queuecounts.go
	sc = append(sc, uncachedScenarios(uncached, client, f)...)
	if selected("survey", o.Only) || selected("SIPAS", o.Only) {
		// A SIPAS survey answered by one response per 50 reports (at least
		// 200, at most 20,000), and unused invitations for the response
		// scenario: enough for 2,000 responses a second.
		answered := min(max(o.N/50, 200), 20_000)
		pool := min(max(int(2000*d.Seconds()), 2000), 60_000)
		logf("preparing a SIPAS survey with %d responses...", answered)
		sw, err := prepareSurvey(client, base, adminTokens.AccessToken, analystTokens.AccessToken, w, answered+pool, answered, o.Clients)
		if err != nil {
			return nil, err
		}
		rep.SurveyResponses = answered
		sc = append(sc, surveyScenarios(base, client, sw, analystTokens.AccessToken)...)
	}
	if o.CPUProfile != "" {
		pf, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	for _, s := range sc {
		if !selected(s.name, o.Only) {
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r := drive(s.name, o.Clients, d, s.do)
		switch s.ceiling {
		case "commit":
			r.Ceiling, r.Ratio = "commit", r.PerSecond/commit.PerSecond
		case "http":
			r.Ceiling, r.Ratio = "http", r.PerSecond/empty.PerSecond
		}
		logf("  %-40s %8.0f/s  p50 %7.2f ms  p99 %7.2f ms  errors %d", r.Scenario, r.PerSecond, r.P50Ms, r.P99Ms, r.Errors)
		rep.Results = append(rep.Results, r)
	}
	if _, err := os.Stat(dbPath); err == nil {
		var size int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(dbPath + suffix); err == nil {
				size += fi.Size()
			}
		}
		rep.BytesPerReport = float64(size) / float64(o.N)
	}
	rep.PeakRSSMB = peakRSSMB()
	return rep, nil
}

// newWorld reads the reference data the generated reports use.
func newWorld(ctx context.Context, ref *feedback.ReferenceService) (*world, error) {
	cats, err := ref.Categories(ctx)
	if err != nil {
		return nil, err
	}
	w := &world{end: time.Now().UTC()}
	w.start = w.end.AddDate(-2, 0, 0)
	for _, c := range cats {
		if !c.OutOfScope && c.DefaultAgencyCode != "" {
			w.categories = append(w.categories, c)
		}
	}
	areas, err := ref.Areas(ctx, feedback.AreaQuery{})
	if err != nil {
		return nil, err
	}
	for _, a := range areas {
		if a.ParentCode != "" {
			w.areas = append(w.areas, a.Code)
		}
	}
	if len(w.categories) == 0 || len(w.areas) == 0 {
		return nil, fmt.Errorf("the reference data has no category with a default agency or no commune")
	}
	return w, nil
}

// scenario is one measured path.
type scenario struct {
	name    string
	ceiling string // "commit" or "http"
	do      op
}

// photo is a small JPEG, as a phone would send after resizing.
var photo = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}()

// scenarios are the measured paths. citizen and officer are access tokens
// (the officer's agency handles the busiest category); agencyReports are
// reports of that agency, mine the citizen's, toAccept dispatched reports
// of the agency that the transition scenario accepts, each once.
func scenarios(base string, client *http.Client, f filters, citizen, officer string, agencyReports, mine, toAccept []string) []scenario {
	run := time.Now().UnixNano()
	submit := func(w, i int) (string, error) {
		body := fmt.Sprintf(`{"category_code":%q,"title":"Ngập nước","description":"Đường ngập sâu sau mưa, xe máy chết máy","location":{"lat":%f,"lng":%f}}`,
			f.Category, cityCentre.Lat+float64(i%100)*0.0003, cityCentre.Lng+float64(w)*0.0003)
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/reports", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+citizen)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d-%d-%d", run, w, i))
		res, err := client.Do(req)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		var out struct {
			ID string `json:"id"`
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusCreated {
			return "", fmt.Errorf("submit: status %d: %.200s", res.StatusCode, b)
		}
		return out.ID, json.Unmarshal(b, &out)
	}
	out := []scenario{
		{"submit", "commit", func(w, i int) (bool, error) { _, err := submit(w, i); return true, err }},
		{"submit with a photo", "commit", func(w, i int) (bool, error) {
			id, err := submit(w, i)
			if err != nil {
				return true, err
			}
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			part, _ := mw.CreateFormFile("file", "photo.jpg")
			part.Write(photo)
			mw.Close()
			req, _ := http.NewRequest(http.MethodPost, base+"/v1/reports/"+id+"/media", &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Authorization", "Bearer "+citizen)
			return true, call(client, req, http.StatusCreated)
		}},
		{"get by id, officer (agency's report)", "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/reports/"+agencyReports[(w*7919+i*31)%len(agencyReports)], nil, officer), http.StatusOK)
		}},
		{"get by id, citizen (own report)", "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/reports/"+mine[(w+i)%len(mine)], nil, citizen), http.StatusOK)
		}},
	}
	type fv struct{ name, key, value string }
	feedFilters := []fv{{"category", "category_code", f.Category}, {"area", "area_code", f.Area}, {"agency", "agency_code", f.Agency},
		{"status", "status", f.Status}, {"bbox", "bbox", f.BBox}, {"since", "since", f.Since}, {"q", "q", f.Q}}
	feed := func(set ...fv) {
		q := url.Values{}
		var names []string
		for _, s := range set {
			q.Set(s.key, s.value)
			names = append(names, s.name)
		}
		label := "feed"
		if len(names) > 0 {
			label += " " + strings.Join(names, "+")
		}
		out = append(out, scenario{label, "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/reports", q, ""), http.StatusOK)
		}})
	}
	feed()
	for i := range feedFilters {
		feed(feedFilters[i])
	}
	for i := range feedFilters {
		for j := i + 1; j < len(feedFilters); j++ {
			feed(feedFilters[i], feedFilters[j])
		}
	}
	out = append(out,
		scenario{"geojson", "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/reports.geojson", nil, ""), http.StatusOK)
		}},
		scenario{"geojson category+bbox", "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/reports.geojson", url.Values{"category_code": {f.Category}, "bbox": {f.BBox}}, ""), http.StatusOK)
		}},
		scenario{"nearby 300 m", "http", func(w, i int) (bool, error) {
			q := url.Values{"lat": {fmt.Sprint(f.Nearby[0] + float64((w*13+i)%40-20)*0.001)}, "lng": {fmt.Sprint(f.Nearby[1] + float64((w*7+i)%40-20)*0.001)},
				"radius_m": {"300"}}
			return true, call(client, get(base, "/v1/reports/nearby", q, ""), http.StatusOK)
		}},
	)
	queue := func(label string, q url.Values) {
		out = append(out, scenario{label, "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, "/v1/agency/reports", q, officer), http.StatusOK)
		}})
	}
	queue("queue open", nil)
	for _, st := range feedback.AllStatuses {
		queue("queue "+string(st), url.Values{"status": {string(st)}})
	}
	queue("queue overdue", url.Values{"overdue": {"true"}})
	queue("queue category", url.Values{"category_code": {f.Category}})
	out = append(out, scenario{"my reports", "http", func(w, i int) (bool, error) {
		return true, call(client, get(base, "/v1/me/reports", nil, citizen), http.StatusOK)
	}})
	var next atomic.Int64
	out = append(out, scenario{"transition (accept)", "commit", func(w, i int) (bool, error) {
		k := int(next.Add(1)) - 1
		if k >= len(toAccept) {
			return false, nil
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/reports/"+toAccept[k]+"/transitions", strings.NewReader(`{"action":"accept"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+officer)
		return true, call(client, req, http.StatusOK)
	}})
	return out
}

// uncachedScenarios are feed reads that skip the public list cache: what
// a question nobody asked in the last moment costs (a deep page, a rare
// filter), read from the store every time.
func uncachedScenarios(base string, client *http.Client, f filters) []scenario {
	var out []scenario
	for _, s := range []struct {
		label, path string
		q           url.Values
	}{
		{"feed, uncached", "/v1/reports", nil},
		{"feed category, uncached", "/v1/reports", url.Values{"category_code": {f.Category}}},
		{"feed agency+status, uncached", "/v1/reports", url.Values{"agency_code": {f.Agency}, "status": {f.Status}}},
		{"feed category+bbox, uncached", "/v1/reports", url.Values{"category_code": {f.Category}, "bbox": {f.BBox}}},
		{"feed q, uncached", "/v1/reports", url.Values{"q": {f.Q}}},
		{"geojson, uncached", "/v1/reports.geojson", nil},
	} {
		out = append(out, scenario{s.label, "http", func(w, i int) (bool, error) {
			return true, call(client, get(base, s.path, s.q, ""), http.StatusOK)
		}})
	}
	return out
}

// printTable writes the figures as a Markdown table.
func printTable(w io.Writer, rep *report) {
	fmt.Fprintf(w, "\n%s; %d CPUs (%s); %s, %d reports; %d clients; %s per scenario\n", rep.Machine.OS+"/"+rep.Machine.Arch,
		rep.Machine.CPUs, rep.Machine.CPUName, rep.Store, rep.Reports, rep.Clients, rep.Duration)
	fmt.Fprintf(w, "fill: %.1f s (%.0f reports/s)", rep.FillSeconds, rep.FillPerSecond)
	if rep.BytesPerReport > 0 {
		fmt.Fprintf(w, "; %.0f bytes per report on disk", rep.BytesPerReport)
	}
	fmt.Fprintf(w, "; peak RSS %.0f MB", rep.PeakRSSMB)
	if rep.SurveyResponses > 0 {
		fmt.Fprintf(w, "; %d SIPAS responses", rep.SurveyResponses)
	}
	fmt.Fprint(w, "\n\n")
	fmt.Fprintln(w, "| scenario | req/s | p50 ms | p99 ms | ratio to ceiling | errors |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: |")
	for _, r := range rep.Results {
		ratio := ""
		if r.Ceiling != "" {
			ratio = fmt.Sprintf("%.3f (%s)", r.Ratio, r.Ceiling)
		}
		fmt.Fprintf(w, "| %s | %.0f | %.2f | %.2f | %s | %d |\n", r.Scenario, r.PerSecond, r.P50Ms, r.P99Ms, ratio, r.Errors)
	}
}

// cpuName is the processor's model name (Linux), for the record.
func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// selected reports whether a scenario runs under -only: every one when only
// is empty, else those whose name contains one of its "|"-separated parts.
func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, part := range strings.Split(only, "|") {
		if part != "" && strings.Contains(name, part) {
			return true
		}
	}
	return false
}
