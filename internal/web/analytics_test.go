package web_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

const analystEmail = "phantich@camau.gov.vn"

// addStaff stores a staff account with the shared test password.
func (e *env) addStaff(t *testing.T, role identity.Role, email string) {
	t.Helper()
	hashOnce.Do(func() { staffHash = identity.HashPassword(staffPassword) })
	u := identity.User{ID: ids.New(), Role: role, Email: email, Name: "Phạm Thị Phân Tích", PasswordHash: staffHash,
		Locale: i18n.VI, CreatedAt: e.now, UpdatedAt: e.now}
	if err := e.store.Identity().CreateUser(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
}

func (e *env) at(t *testing.T, when string) {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04 -07:00", when+" +07:00")
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.now = tm
	e.mu.Unlock()
}

// sipasAnswers fills the built-in SIPAS questionnaire: every criterion of
// an element gets the element's level.
func sipasAnswers(access, procedures, servant, result any) map[string]any {
	a := map[string]any{"q_gender": "nu", "q_age_group": "35_44", "q_education": "university", "q_used_service": "yes", "q_gave_feedback": "no"}
	for prefix, v := range map[string]any{"access": access, "procedures": procedures, "servant": servant, "result": result} {
		n := map[string]int{"access": 4, "procedures": 5, "servant": 6, "result": 3}[prefix]
		for i := 1; i <= n; i++ {
			a[fmt.Sprintf("%s_%d", prefix, i)] = v
		}
	}
	return a
}

// papiAnswers answers the built-in PAPI questionnaire: yes, the first
// option, 4 on scales, and the commune's procedures only.
func papiAnswers(t *testing.T, e *env, surveyID string) map[string]any {
	t.Helper()
	var form struct {
		Questions []struct {
			Code, Type, Relevant string
			Options              []struct{ Value string }
		}
	}
	if st := e.call(t, "GET", "/v1/surveys/"+surveyID+"/form", "", nil, &form); st != 200 {
		t.Fatalf("papi form: %d", st)
	}
	a := map[string]any{}
	for _, q := range form.Questions {
		if strings.Contains(q.Relevant, "selected(") && !strings.Contains(q.Relevant, "'commune'") {
			continue
		}
		switch q.Type {
		case "yes_no":
			a[q.Code] = "yes"
		case "likert5":
			a[q.Code] = 4
		case "single_choice":
			a[q.Code] = q.Options[0].Value
		case "multiple_choice":
			a[q.Code] = []string{"commune"}
		}
	}
	return a
}

// dashboardData is what seedDashboard put in the store.
type dashboardData struct {
	sipas, papi string
	secrets     []string // personal data that must never reach the dashboard
}

// seedDashboard fills a store through the API: a SIPAS survey answered in
// February (5 people, Department of Construction) and March 2026 (6 for
// Construction, 3 for Health: under the minimum of 5), a PAPI survey with 5
// answers in March, and 6 field reports in March.
func seedDashboard(t *testing.T, e *env) dashboardData {
	t.Helper()
	e.addStaff(t, identity.RoleAnalyst, analystEmail)
	e.at(t, "2026-02-02 08:00")
	admin := func() string { return e.token(t, adminEmail, staffPassword) } // tokens last 15 minutes of the moving clock
	create := func(template, title string) string {
		var sv struct{ ID string }
		if st := e.call(t, "POST", "/v1/surveys", admin(), map[string]any{"template": template, "title": title,
			"period": map[string]string{"from": "2026-01-01", "to": "2026-12-31"}}, &sv); st != 201 {
			t.Fatalf("create %s survey: %d", template, st)
		}
		if st := e.call(t, "POST", "/v1/surveys/"+sv.ID+"/publish", admin(), nil, nil); st != 200 {
			t.Fatalf("publish: %d", st)
		}
		return sv.ID
	}
	d := dashboardData{sipas: create("sipas-2017", "Khảo sát SIPAS 2026"), papi: create("papi", "PAPI rút gọn 2026")}
	invite := func(survey, agency, area string, n int) []string {
		var out struct{ Tokens []string }
		if st := e.call(t, "POST", "/v1/surveys/"+survey+"/invitations", admin(), map[string]any{"count": n, "agency_code": agency, "area_code": area}, &out); st != 201 {
			t.Fatalf("invite: %d", st)
		}
		return out.Tokens
	}
	answer := func(survey, token string, answers map[string]any) {
		t.Helper()
		if st := e.call(t, "POST", "/v1/surveys/"+survey+"/responses", "", map[string]any{"token": token, "answers": answers}, nil); st != 201 {
			t.Fatalf("answer: %d", st)
		}
	}
	e.at(t, "2026-02-10 09:00")
	for i, tok := range invite(d.sipas, "so-xay-dung", "phuong-an-xuyen", 5) {
		answer(d.sipas, tok, sipasAnswers(4, 3, 4, 2+i%3))
	}
	e.at(t, "2026-03-10 09:00")
	build := invite(d.sipas, "so-xay-dung", "phuong-an-xuyen", 6)
	levels := [][4]any{{5, 4, 5, 3}, {4, 2, 5, 4}, {"3", "na", 4, 5}, {5, 5, 2, 4}, {2, 4, 4, 1}, {4, 3, 5, 5}}
	for i, tok := range build {
		a := sipasAnswers(levels[i][0], levels[i][1], levels[i][2], levels[i][3])
		if i == 0 {
			a["q_comment"] = "Tôi là Trần Văn Bình, số 0977111222"
			d.secrets = append(d.secrets, "Trần Văn Bình", "0977111222")
		}
		answer(d.sipas, tok, a)
	}
	for _, tok := range invite(d.sipas, "so-y-te", "phuong-tan-thanh", 3) {
		answer(d.sipas, tok, sipasAnswers(5, 5, 5, 5))
	}
	for _, tok := range invite(d.papi, "so-xay-dung", "phuong-an-xuyen", 5) {
		answer(d.papi, tok, papiAnswers(t, e, d.papi))
	}
	citizen, phone := e.citizenWithPhone(t)
	d.secrets = append(d.secrets, phone, "Nguyễn Văn An", "0966555444")
	for i := range 6 {
		r := e.submit(t, citizen, "ha-tang-do-thi", fmt.Sprintf("Đèn đường số %d trên đường Lý Thường Kiệt bị hỏng", i), map[string]any{"contact_phone": "0966555444"})
		d.secrets = append(d.secrets, r.TrackingCode, fmt.Sprintf("Đèn đường số %d", i))
		if i < 4 {
			e.dispatch(t, r.ID, officerAg)
		}
	}
	// Back to the present: browsers and cookie jars drop cookies that
	// expire in the past.
	e.mu.Lock()
	e.now = time.Now()
	e.mu.Unlock()
	return d
}

type apiRate struct {
	Value *float64 `json:"value"`
	N     int64    `json:"n"`
}

type sipasAPI struct {
	Overall struct {
		Value *float64 `json:"value"`
		N     int64    `json:"n"`
	} `json:"overall"`
}

// pageText is the text of the element with id in page, tags and entities
// removed.
func pageText(page, id string) string {
	re := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</(dd|td|strong|p|span)>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], "")))
}

// tableRows returns the cells' text of the rows of the table with id.
func tableRows(t *testing.T, page, id string) [][]string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no table %s on the page", id)
	}
	body := page[i:]
	body = body[strings.Index(body, "<tbody>"):strings.Index(body, "</tbody>")]
	var rows [][]string
	for _, tr := range strings.Split(body, "<tr>")[1:] {
		var row []string
		for _, td := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr, -1) {
			row = append(row, strings.TrimSpace(html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(td[1], ""))))
		}
		rows = append(rows, row)
	}
	return rows
}

// oneDecimal is how the page shows a figure in Vietnamese.
func oneDecimal(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', 1, 64), ".", ",", 1)
}

// The dashboard shows the API's figures for the same filters, withholds
// groups under the minimum, and its downloads hold the page's tables.
func TestAnalytics_SameFiguresAsTheAPI(t *testing.T) {
	for name, newE := range map[string]func(*testing.T) *env{"sqlite": newEnv, "mongo": newMongoEnv} {
		t.Run(name, func(t *testing.T) {
			e := newE(t)
			d := seedDashboard(t, e)
			analyst := e.token(t, analystEmail, staffPassword)
			var api sipasAPI
			if st := e.call(t, "GET", "/v1/indicators/sipas?survey_id="+d.sipas+"&from=2026-03&to=2026-03", analyst, nil, &api); st != 200 || api.Overall.Value == nil {
				t.Fatalf("API: %d %+v", st, api)
			}
			var prev sipasAPI
			e.call(t, "GET", "/v1/indicators/sipas?survey_id="+d.sipas+"&from=2026-02&to=2026-02", analyst, nil, &prev)

			b := e.client(t)
			b.signIn(analystEmail, staffPassword)
			q := "survey=" + d.sipas + "&papi=" + d.papi + "&from=2026-03&to=2026-03"
			res, page := b.get("/console/analytics?" + q)
			if res.StatusCode != 200 {
				t.Fatalf("page: %d", res.StatusCode)
			}
			if got, want := pageText(page, "overall-value"), oneDecimal(*api.Overall.Value)+" %"; strings.ReplaceAll(got, "\u2009", " ") != want {
				t.Errorf("overall index: got %q, want %q", got, want)
			}
			if got := pageText(page, "overall-n"); got != "9" || api.Overall.N != 9 {
				t.Errorf("overall n: page %q, API %d, want 9", got, api.Overall.N)
			}
			if got, want := pageText(page, "overall-change"), "+"+oneDecimal(*api.Overall.Value-*prev.Overall.Value)+" điểm %"; *api.Overall.Value > *prev.Overall.Value && got != want {
				t.Errorf("change: got %q, want %q", got, want)
			}

			// Every label is text in both languages, not a message key.
			for _, lang := range []string{"vi", "en"} {
				_, text := b.get("/console/analytics?" + q + "&lang=" + lang)
				if k := regexp.MustCompile(`>an\.[a-z_.]+<|"an\.[a-z_.]+"`).FindString(text); k != "" {
					t.Errorf("%s page shows the message key %s", lang, k)
				}
			}
			b.get("/console/analytics?lang=vi")

			// Elements: each index with its 95% interval around it
			// (survey.Intervals); the overall row's is the headline's, and
			// the chart draws the interval from the same columns.
			var els [][]string
			num := func(s string) float64 {
				v, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
				if err != nil {
					t.Fatalf("elements: %q is not a figure: %v", s, els)
				}
				return v
			}
			els = tableRows(t, page, "d-elements")
			if len(els) < 2 || strings.ReplaceAll(pageText(page, "overall-ci"), "\u2009", " ") != els[0][4]+" – "+els[0][5]+" %" {
				t.Errorf("elements: overall row %v, headline interval %q", els[0], pageText(page, "overall-ci"))
			}
			wide := 0
			for _, r := range els {
				if r[2] == "—" || r[2] == "Quá ít trả lời" { // no index, or withheld
					continue
				}
				v, lo, hi := num(r[2]), num(r[4]), num(r[5])
				if lo > v || v > hi || lo < 0 || hi > 100 {
					t.Errorf("element %v: interval [%v, %v] does not hold %v within 0..100", r, lo, hi, v)
				}
				if hi-lo >= 1 {
					wide++
				}
			}
			if wide < 2 {
				t.Errorf("elements: %d rows with an interval of some width: %v", wide, els)
			}
			if !strings.Contains(page, `id="d-elements" data-chart="hbar" data-label="label" data-value="value" data-lo="ci_low" data-hi="ci_high"`) {
				t.Error("the elements chart does not draw the intervals")
			}

			// Agencies: Construction ranked with its n; Health (3 answers)
			// shows "too few answers" and no value anywhere in its row.
			rows := tableRows(t, page, "d-agencies")
			if len(rows) != 2 {
				t.Fatalf("agencies: %d rows, want 2: %v", len(rows), rows)
			}
			build, health := rows[0], rows[1]
			if build[1] != "so-xay-dung" || build[0] != "1" || build[4] != "6" {
				t.Errorf("Construction's row: %v", build)
			}
			if health[1] != "so-y-te" || health[3] != "Quá ít trả lời" || health[4] != "3" {
				t.Errorf("Health's row (3 answers, minimum 5): %v", health)
			}
			// Construction's index within its 95% interval; Health's row
			// (withheld) shows no interval either.
			if v, lo, hi := num(build[3]), num(build[5]), num(build[6]); lo > v || v > hi || hi-lo < 1 || hi > 100 ||
				(lo > 0 && hi < 100 && math.Abs((lo+hi)/2-v) > 0.1) { // centred on the ranking's figure unless clipped
				t.Errorf("Construction's interval [%v, %v] around %v: %v", lo, hi, v, build)
			}
			if !strings.Contains(page, `id="d-agencies" data-chart="hbar" data-label="name" data-value="value" data-lo="ci_low" data-hi="ci_high"`) {
				t.Error("the agencies chart does not draw the intervals")
			}
			for _, cell := range []int{0, 3, 5, 6, 7, 8} {
				if regexp.MustCompile(`\d`).MatchString(health[cell]) {
					t.Errorf("Health's row shows a figure in column %d: %v", cell, health)
				}
			}
			// Areas: every published index sits within its 95% interval,
			// and the chart draws the intervals as the agencies' does.
			published := 0
			for _, r := range tableRows(t, page, "d-areas") {
				if r[3] == "—" || r[3] == "Quá ít trả lời" {
					continue
				}
				published++
				if v, lo, hi := num(r[3]), num(r[5]), num(r[6]); lo > v || v > hi || lo < 0 || hi > 100 {
					t.Errorf("area %v: interval [%v, %v] does not hold %v within 0..100", r, lo, hi, v)
				}
			}
			if published == 0 {
				t.Error("areas: no published index to check")
			}
			if !strings.Contains(page, `id="d-areas" data-chart="hbar" data-label="name" data-value="value" data-lo="ci_low" data-hi="ci_high"`) {
				t.Error("the areas chart does not draw the intervals")
			}
			if strings.Contains(page, `data-toofew="1" data-v`) || regexp.MustCompile(`data-v="[^"]*" data-toofew`).MatchString(page) {
				t.Error("a withheld cell carries a value for the charts")
			}

			// The field-report figures are the API's for the same days.
			var fig struct {
				Overall struct {
					Reports             int64   `json:"reports"`
					DispatchOnTime      apiRate `json:"dispatch_on_time"`
					MedianDispatchHours apiRate `json:"median_dispatch_hours"`
				} `json:"overall"`
			}
			e.call(t, "GET", "/v1/indicators/feedback?from=2026-03-01&to=2026-03-31&group_by=agency", "", nil, &fig)
			total := tableRows(t, page, "d-reports_agency")[0]
			o := fig.Overall
			if total[2] != "6" || o.Reports != 6 || total[3] != "4" || o.DispatchOnTime.N != 4 || o.DispatchOnTime.Value == nil ||
				total[4] != oneDecimal(*o.DispatchOnTime.Value) || o.MedianDispatchHours.Value == nil || total[6] != oneDecimal(*o.MedianDispatchHours.Value) {
				t.Errorf("reports total row %v; API %+v", total, o)
			}

			// The CSV of the agencies table: the same rows and n.
			res, body := b.get("/console/analytics/download/agencies.csv?" + q)
			if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
			recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
			if err != nil || len(recs) != 3 {
				t.Fatalf("CSV: %v, %d records", err, len(recs))
			}
			for i, row := range rows {
				rec := recs[i+1]
				if rec[1] != row[1] || rec[4] != row[4] {
					t.Errorf("CSV row %d %v, page %v", i, rec, row)
				}
				if row[3] == "Quá ít trả lời" {
					if rec[3] != row[3] {
						t.Errorf("CSV shows a withheld value: %v", rec)
					}
				} else if v, err := strconv.ParseFloat(rec[3], 64); err != nil || oneDecimal(v) != row[3] {
					t.Errorf("CSV value %q, page %q", rec[3], row[3])
				}
			}

			// Every table in one workbook; no personal data anywhere.
			res, body = b.get("/console/analytics/download/all.xlsx?" + q)
			if res.StatusCode != 200 {
				t.Fatalf("XLSX: %d", res.StatusCode)
			}
			f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(f.GetSheetList()); n != 10 {
				t.Errorf("workbook: %d sheets %v, want 10 (one per table)", n, f.GetSheetList())
			}
			var all strings.Builder
			for _, s := range f.GetSheetList() {
				rs, _ := f.GetRows(s)
				for _, r := range rs {
					all.WriteString(strings.Join(r, "\t") + "\n")
				}
			}
			_, geo := b.get("/console/analytics/areas.geojson")
			for _, secret := range d.secrets {
				for what, text := range map[string]string{"page": page, "workbook": all.String(), "CSV": body, "map": geo} {
					if strings.Contains(text, secret) {
						t.Errorf("%s holds personal data %q", what, secret)
					}
				}
			}
		})
	}
}

// Only analysts, coordinators and admins open the dashboard.
func TestAnalytics_Access(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t, identity.RoleAnalyst, analystEmail)
	paths := []string{"/console/analytics", "/console/analytics/download/agencies.csv", "/console/analytics/areas.geojson"}
	officer := e.client(t)
	officer.signIn(officerEmail, staffPassword)
	for _, p := range paths {
		if res, body := officer.get(p); res.StatusCode != http.StatusForbidden || strings.Contains(body, "overall-value") {
			t.Errorf("officer %s: %d, want 403", p, res.StatusCode)
		}
	}
	// Citizens cannot sign in to the console; their bearer token opens no page.
	citizen, phone := e.citizenWithPhone(t)
	c := e.client(t)
	if res, _ := c.signIn(phone, "mat-khau-dan-2026"); sessionCookie(res) != nil {
		t.Fatal("a citizen got a console session")
	}
	for _, p := range paths {
		res, _ := c.do("GET", p, nil, map[string]string{"Authorization": "Bearer " + citizen})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login") {
			t.Errorf("citizen %s: %d %s, want the sign-in page", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	for _, who := range []string{analystEmail, coordEmail, adminEmail} {
		b := e.client(t)
		b.signIn(who, staffPassword)
		if res, body := b.get("/console/analytics"); res.StatusCode != 200 || !strings.Contains(body, `href="/console/analytics" aria-current="page"`) {
			t.Errorf("%s: %d", who, res.StatusCode)
		}
	}
	// An analyst's home is the dashboard.
	b := e.client(t)
	b.signIn(analystEmail, staffPassword)
	if res, _ := b.get("/console/"); res.Header.Get("Location") != "/console/analytics" {
		t.Errorf("analyst's home: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

// Bad filters get a clear message on the page, never a server error; a
// sortable table sorts by the column asked for.
func TestAnalytics_FiltersAndSorting(t *testing.T) {
	e := newEnv(t)
	d := seedDashboard(t, e)
	b := e.client(t)
	b.signIn(analystEmail, staffPassword)
	for _, q := range []string{"from=2026-13", "from=2026-05&to=2026-03", "from=2010-01&to=2026-03", "survey=nope&from=2026-03&to=2026-03", "papi=" + d.sipas + "&from=2026-03&to=2026-03"} {
		res, page := b.get("/console/analytics?" + q)
		if res.StatusCode >= 500 || !strings.Contains(page, `role="alert"`) {
			t.Errorf("%s: %d, no message", q, res.StatusCode)
		}
		res, _ = b.get("/console/analytics/download/agencies.csv?" + q)
		if res.StatusCode >= 500 {
			t.Errorf("download %s: %d", q, res.StatusCode)
		}
	}
	// Field-report figures cover at most 366 days: a longer span says so
	// in their section while the survey sections still show.
	_, page := b.get("/console/analytics?survey=" + d.sipas + "&from=2025-01&to=2026-03")
	if !strings.Contains(page, "366") || pageText(page, "overall-n") != "14" {
		t.Errorf("15 months: overall n %q", pageText(page, "overall-n"))
	}
	q := "survey=" + d.sipas + "&from=2026-03&to=2026-03"
	for sort, first := range map[string]string{"n": "so-y-te", "-n": "so-xay-dung", "code": "so-xay-dung", "-code": "so-y-te"} {
		_, page := b.get("/console/analytics?" + q + "&sort_agencies=" + sort)
		if rows := tableRows(t, page, "d-agencies"); rows[0][1] != first {
			t.Errorf("sorted by %s: first %s, want %s", sort, rows[0][1], first)
		}
	}
	// A total row stays first whatever the order.
	_, page = b.get("/console/analytics?" + q + "&sort_reports_agency=-reports")
	if rows := tableRows(t, page, "d-reports_agency"); rows[0][1] != "Tổng" {
		t.Errorf("sorted field-report figures: first row %v, want the total", rows[0])
	}
	// The trend by quarter: Q1 holds February's and March's answers.
	_, page = b.get("/console/analytics?survey=" + d.sipas + "&from=2026-01&to=2026-06&trend=quarter")
	rows := tableRows(t, page, "d-trend")
	if len(rows) != 1 || rows[0][0] != "2026-Q1" || rows[0][2] != "14" {
		t.Errorf("trend by quarter: %v", rows)
	}
	// The downloads are attachments named after the table and months.
	res, _ := b.get("/console/analytics/download/trend.xlsx?" + q)
	if cd := res.Header.Get("Content-Disposition"); res.StatusCode != 200 || !strings.Contains(cd, "camaug-trend-2026-03-2026-03.xlsx") {
		t.Errorf("XLSX download: %d %q", res.StatusCode, cd)
	}
	for _, bad := range []string{"nope.csv", "agencies.pdf", "all.csv"} {
		if res, _ := b.get("/console/analytics/download/" + bad + "?" + q); res.StatusCode != 404 {
			t.Errorf("download %s: %d, want 404", bad, res.StatusCode)
		}
	}
}

// The dashboard shows each response channel apart: by default the
// official figure (invitation responses), the API's default; with
// channel=app the app responses, the API's channel=app, labelled
// self-selected on the page and in the downloads; the official and the
// app overall index side by side either way.
func TestAnalytics_Channels(t *testing.T) {
	for name, newE := range map[string]func(*testing.T) *env{"sqlite": newEnv, "mongo": newMongoEnv} {
		t.Run(name, func(t *testing.T) {
			e := newE(t)
			d := seedDashboard(t, e)
			// Five registered citizens answer in the app in March, lower
			// than the invited respondents.
			e.at(t, "2026-03-12 09:00")
			for i := range 5 {
				citizen, _ := e.citizenWithPhone(t)
				if st := e.call(t, "POST", "/v1/surveys/"+d.sipas+"/responses", citizen, map[string]any{"answers": sipasAnswers([]any{4, 2, 5, 2, 3}[i], 2, 1+i%2, 3)}, nil); st != 201 {
					t.Fatalf("app answer: %d", st)
				}
			}
			e.mu.Lock()
			e.now = time.Now()
			e.mu.Unlock()

			analyst := e.token(t, analystEmail, staffPassword)
			api := map[string]sipasAPI{}
			for _, ch := range []string{"", "app", "all"} {
				var out sipasAPI
				if st := e.call(t, "GET", "/v1/indicators/sipas?survey_id="+d.sipas+"&from=2026-03&to=2026-03&channel="+ch, analyst, nil, &out); st != 200 || out.Overall.Value == nil {
					t.Fatalf("API channel=%q: %d %+v", ch, st, out)
				}
				api[ch] = out
			}
			if api[""].Overall.N != 9 || api["app"].Overall.N != 5 || api["all"].Overall.N != 14 || *api["app"].Overall.Value >= *api[""].Overall.Value {
				t.Fatalf("API figures: official %+v, app %+v, all %+v", api[""].Overall, api["app"].Overall, api["all"].Overall)
			}
			pct := func(v *float64) string { return oneDecimal(*v) + " %" }
			text := func(page, id string) string { return strings.ReplaceAll(pageText(page, id), "\u2009", " ") }

			b := e.client(t)
			b.signIn(analystEmail, staffPassword)
			q := "survey=" + d.sipas + "&papi=" + d.papi + "&from=2026-03&to=2026-03"
			for _, tc := range []struct {
				channel, label string
				want           sipasAPI
				selfSelected   bool
			}{
				{"", "Phiếu mời (số liệu chính thức)", api[""], false},
				{"invitation", "Phiếu mời (số liệu chính thức)", api[""], false},
				{"app", "Ứng dụng — tự chọn tham gia", api["app"], true},
				{"all", "Tất cả kênh — có người tự chọn tham gia", api["all"], true},
			} {
				qq := q
				if tc.channel != "" {
					qq += "&channel=" + tc.channel
				}
				res, page := b.get("/console/analytics?" + qq)
				if res.StatusCode != 200 {
					t.Fatalf("channel=%q: %d", tc.channel, res.StatusCode)
				}
				if got := text(page, "overall-value"); got != pct(tc.want.Overall.Value) || text(page, "overall-n") != strconv.FormatInt(tc.want.Overall.N, 10) {
					t.Errorf("channel=%q: overall %q n %q, API %s n %d", tc.channel, got, text(page, "overall-n"), pct(tc.want.Overall.Value), tc.want.Overall.N)
				}
				// Side by side: the official and the app figure, whatever
				// the selection.
				if got := text(page, "overall-official"); got != pct(api[""].Overall.Value) || text(page, "overall-official-n") != "9" {
					t.Errorf("channel=%q: official beside %q, want %s", tc.channel, got, pct(api[""].Overall.Value))
				}
				if got := text(page, "overall-app"); got != pct(api["app"].Overall.Value) || text(page, "overall-app-n") != "5" {
					t.Errorf("channel=%q: app beside %q, want %s", tc.channel, got, pct(api["app"].Overall.Value))
				}
				// The overall index's 95% interval (Taylor linearization)
				// stands next to it, around the API's figure.
				if m := regexp.MustCompile(`^(\d+,\d) – (\d+,\d) %$`).FindStringSubmatch(text(page, "overall-ci")); m == nil {
					t.Errorf("channel=%q: interval %q", tc.channel, text(page, "overall-ci"))
				} else {
					lo, _ := strconv.ParseFloat(strings.Replace(m[1], ",", ".", 1), 64)
					hi, _ := strconv.ParseFloat(strings.Replace(m[2], ",", ".", 1), 64)
					v := *tc.want.Overall.Value
					t.Logf("channel=%q: index %.2f, interval [%v, %v], n %d", tc.channel, *tc.want.Overall.Value, lo, hi, tc.want.Overall.N)
					clipped := lo == 0 || hi == 100 // clipped to 0..100: not symmetric
					if !(lo <= v && v < hi && hi-lo > 1 && (clipped || math.Abs((lo+hi)/2-v) <= 0.1)) {
						t.Errorf("channel=%q: interval [%v, %v] not around the index %v", tc.channel, lo, hi, v)
					}
				}
				if got := text(page, "channel"); got != tc.label {
					t.Errorf("channel=%q: shown as %q, want %q", tc.channel, got, tc.label)
				}
				if got := strings.Contains(page, `id="self-selected"`); got != tc.selfSelected {
					t.Errorf("channel=%q: self-selected notice shown %v, want %v", tc.channel, got, tc.selfSelected)
				}
				// The selection stays in every download link and sort link.
				want := "channel=" + map[string]string{"": "invitation"}[tc.channel]
				if tc.channel != "" {
					want = "channel=" + tc.channel
				}
				for _, link := range regexp.MustCompile(`href="(/console/analytics/download/[^"]+|\?[^"]+)"`).FindAllStringSubmatch(page, -1) {
					if !strings.Contains(html.UnescapeString(link[1]), want) {
						t.Errorf("channel=%q: link %s loses the channel", tc.channel, link[1])
					}
				}
				// The CSV of the elements: every row ends with the channel,
				// so self-selected figures stay labelled in the file.
				res, body := b.get("/console/analytics/download/elements.csv?" + qq)
				recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
				if res.StatusCode != 200 || err != nil || len(recs) < 2 {
					t.Fatalf("channel=%q: CSV %d %v", tc.channel, res.StatusCode, err)
				}
				last := len(recs[0]) - 1
				if recs[0][last] != "Kênh trả lời" {
					t.Errorf("channel=%q: CSV header %v", tc.channel, recs[0])
				}
				for _, rec := range recs[1:] {
					if rec[last] != tc.label {
						t.Errorf("channel=%q: CSV row %v, want the label %q", tc.channel, rec, tc.label)
					}
				}
				if v, err := strconv.ParseFloat(recs[1][2], 64); err != nil || oneDecimal(v) != oneDecimal(*tc.want.Overall.Value) {
					t.Errorf("channel=%q: CSV overall %q, API %v", tc.channel, recs[1][2], *tc.want.Overall.Value)
				}
				if strings.Contains(body, "tự chọn tham gia") != tc.selfSelected {
					t.Errorf("channel=%q: CSV self-selected label present %v, want %v", tc.channel, !tc.selfSelected, tc.selfSelected)
				}
			}

			// The workbook labels its survey sheets the same way, in English too.
			res, body := b.get("/console/analytics/download/all.xlsx?" + q + "&channel=app&lang=en")
			f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
			if res.StatusCode != 200 || err != nil {
				t.Fatalf("XLSX: %d %v", res.StatusCode, err)
			}
			// App answers name no agency or area: those two sheets have
			// their header only.
			labelled, headed := 0, 0
			for _, s := range f.GetSheetList() {
				rs, _ := f.GetRows(s)
				if len(rs) > 0 && rs[0][len(rs[0])-1] == "Response channel" {
					headed++
				}
				if len(rs) > 1 && rs[0][len(rs[0])-1] == "Response channel" && rs[1][len(rs[0])-1] == "App — self-selected" {
					labelled++
				}
			}
			if headed != 6 || labelled != 4 { // elements, criteria, agencies, areas, trend, PAPI
				t.Errorf("XLSX: %d sheets with the channel column (want 6), %d labelled self-selected (want 4)", headed, labelled)
			}
			b.get("/console/analytics?lang=vi")

			// An unknown channel is a clear message, never a server error.
			res, page := b.get("/console/analytics?" + q + "&channel=khac")
			if res.StatusCode != 422 || !strings.Contains(pageText(page, "filter-error"), "Kênh trả lời không hợp lệ") {
				t.Errorf("channel=khac: %d %q", res.StatusCode, pageText(page, "filter-error"))
			}
			if res, _ := b.get("/console/analytics/download/elements.csv?" + q + "&channel=khac"); res.StatusCode != 422 {
				t.Errorf("download channel=khac: %d, want 422", res.StatusCode)
			}
		})
	}
}

// A selection under the minimum group withholds every index, and with
// them their 95% intervals: the headline shows none, the elements table no
// figure in its interval columns (PRODUCT.md §8, the minimum group).
func TestAnalytics_WithheldIntervals(t *testing.T) {
	for name, newE := range map[string]func(*testing.T) *env{"sqlite": newEnv, "mongo": newMongoEnv} {
		t.Run(name, func(t *testing.T) {
			e := newE(t)
			d := seedDashboard(t, e)
			// Three citizens answer in the app in April: fewer than 5.
			e.at(t, "2026-04-08 09:00")
			for i := range 3 {
				citizen, _ := e.citizenWithPhone(t)
				if st := e.call(t, "POST", "/v1/surveys/"+d.sipas+"/responses", citizen, map[string]any{"answers": sipasAnswers(4+i%2, 2, 5, 3)}, nil); st != 201 {
					t.Fatalf("app answer: %d", st)
				}
			}
			e.mu.Lock()
			e.now = time.Now()
			e.mu.Unlock()
			b := e.client(t)
			b.signIn(analystEmail, staffPassword)
			res, page := b.get("/console/analytics?survey=" + d.sipas + "&from=2026-04&to=2026-04&channel=app")
			if res.StatusCode != 200 {
				t.Fatalf("page: %d", res.StatusCode)
			}
			if strings.Contains(page, `id="overall-ci"`) || pageText(page, "overall-value") != "Quá ít trả lời" {
				t.Errorf("withheld overall index %q shows an interval: %v", pageText(page, "overall-value"), strings.Contains(page, `id="overall-ci"`))
			}
			withheld := 0
			for _, r := range tableRows(t, page, "d-elements") {
				if r[2] == "Quá ít trả lời" {
					withheld++
				}
				if regexp.MustCompile(`\d`).MatchString(r[2] + r[4] + r[5]) {
					t.Errorf("withheld selection: element row shows a figure: %v", r)
				}
			}
			if withheld < 5 { // the overall row and the four elements answered
				t.Errorf("%d withheld rows in the elements table, want 5", withheld)
			}
		})
	}
}
