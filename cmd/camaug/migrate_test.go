package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"camaug/internal/store/mongo/mongotest"
)

const migrateSecret = "migrate-test-key-secret-0123456789"

// addStaff creates a staff account with camaug user add.
func addStaff(t *testing.T, getenv func(string) string, role, email, agency string) {
	t.Helper()
	stdin = strings.NewReader("mat-khau-2026\n")
	defer func() { stdin = os.Stdin }()
	args := []string{"camaug", "user", "add", "--role", role, "--email", email, "--name", "Cán bộ " + role}
	if agency != "" {
		args = append(args, "--agency", agency)
	}
	if err := run(context.Background(), args, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("user add %s: %v", email, err)
	}
}

func login(t *testing.T, base, email string) string {
	t.Helper()
	var tok tokenPair
	apiJSON(t, http.StatusOK, "POST", base+"/v1/auth/login", "", map[string]string{"login": email, "password": "mat-khau-2026"}, &tok)
	return tok.AccessToken
}

var (
	requestID = regexp.MustCompile(`"request_id":"[0-9a-f]+"`)
	subMilli  = regexp.MustCompile(`(T\d\d:\d\d:\d\d)(\.\d+)?`)
)

// normalize removes what legitimately differs between two answers: the
// request ID, and time below the millisecond (MongoDB dates hold
// milliseconds; the embedded store keeps what the clock gave).
func normalize(body []byte) []byte {
	body = requestID.ReplaceAll(body, []byte(`"request_id":""`))
	return subMilli.ReplaceAllFunc(body, func(m []byte) []byte {
		hms, frac, _ := bytes.Cut(m, []byte("."))
		if len(frac) > 3 {
			frac = frac[:3]
		}
		frac = bytes.TrimRight(frac, "0")
		if len(frac) == 0 {
			return hms
		}
		return append(append(hms, '.'), frac...)
	})
}

func move(t *testing.T, base, token, report, action string, extra map[string]string) {
	t.Helper()
	body := map[string]string{"action": action}
	for k, v := range extra {
		body[k] = v
	}
	apiJSON(t, http.StatusOK, "POST", base+"/v1/reports/"+report+"/transitions", token, body, nil)
}

// sipas2017 answers every question of the 2017 SIPAS template with score.
func sipas2017(score int) map[string]any {
	a := map[string]any{"q_gender": "nu", "q_age_group": "35_44", "q_education": "university", "q_used_service": "yes", "q_gave_feedback": "no"}
	for prefix, n := range map[string]int{"access": 4, "procedures": 5, "servant": 6, "result": 3} {
		for i := 1; i <= n; i++ {
			a[fmt.Sprintf("%s_%d", prefix, i)] = score
		}
	}
	return a
}

// TestMigrate_SameAnswers fills an embedded store through the API (reports
// in several states with photos, transitions, a support, a rating, survey
// responses by invitation and by account), migrates it into MongoDB
// (FerretDB), and compares what the service answers on either store: feed,
// queue, history, indicators, my reports and photos are byte for byte the
// same. A second migration changes nothing.
func TestMigrate_SameAnswers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	sqliteEnv := env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir, "CAMAUG_KEY_SECRET", migrateSecret)
	// Few accounts: each costs a real password hash (slow under -race).
	// The admin also acts as coordinator and analyst.
	addStaff(t, sqliteEnv, "admin", "quantri@camau.gov.vn", "")
	addStaff(t, sqliteEnv, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
	a, stopA := startServer(t, sqliteEnv)

	admin, officer := login(t, a, "quantri@camau.gov.vn"), login(t, a, "canbo@capnuoc.camau.gov.vn")
	coord, analyst := admin, admin
	c1, c2 := citizen(t, a, "0912345621"), guestToken(t, a, "device-migrate-0002")

	retried := submitKeyed(t, a, c2, "retry-key-0001")
	resolved := submit(t, a, c1, "cap-thoat-nuoc", "Ngập nước đường Phan Ngọc Hiển", 9.1769, 105.1524)
	dispatched := submit(t, a, c1, "cap-thoat-nuoc", "Vỡ ống nước đường Lý Thường Kiệt", 9.1801, 105.1502)
	submitted := submit(t, a, c2, "cap-thoat-nuoc", "Nắp cống bị mất", 9.1755, 105.1549)
	rejected := submit(t, a, c2, "cap-thoat-nuoc", "Thử nghiệm", 9.1760, 105.1530)
	photos := []string{
		uploadPhoto(t, a, c1, resolved, testJPEG(t, 30)),
		uploadPhoto(t, a, c1, dispatched, testJPEG(t, 90)),
		uploadPhoto(t, a, c2, submitted, testJPEG(t, 120)),
	}
	move(t, a, coord, resolved, "dispatch", nil)
	move(t, a, officer, resolved, "accept", nil)
	move(t, a, officer, resolved, "resolve", map[string]string{"note": "Đã nạo vét cống, nước đã rút."})
	move(t, a, coord, dispatched, "dispatch", nil)
	move(t, a, coord, rejected, "reject", map[string]string{"note": "Phản ánh thử nghiệm, không có nội dung."})
	apiJSON(t, http.StatusOK, "POST", a+"/v1/reports/"+resolved+"/rating", c1, map[string]any{"score": 4, "comment": "Xử lý nhanh"}, nil)
	if code, b := apiCall(t, "POST", a+"/v1/reports/"+dispatched+"/support", c2, nil); code >= 300 {
		t.Fatalf("support: %d %s", code, b)
	}

	now := time.Now().In(time.FixedZone("ICT", 7*3600))
	var sv struct{ ID string }
	apiJSON(t, http.StatusCreated, "POST", a+"/v1/surveys", admin, map[string]any{"template": "sipas-2017", "title": "Khảo sát SIPAS",
		"period": map[string]string{"from": now.AddDate(0, 0, -20).Format("2006-01-02"), "to": now.AddDate(0, 0, 20).Format("2006-01-02")}}, &sv)
	apiJSON(t, http.StatusOK, "POST", a+"/v1/surveys/"+sv.ID+"/publish", admin, nil, nil)
	var inv struct{ Tokens []string }
	apiJSON(t, http.StatusCreated, "POST", a+"/v1/surveys/"+sv.ID+"/invitations", admin,
		map[string]any{"count": 3, "agency_code": "cap-nuoc-ca-mau", "area_code": "phuong-an-xuyen"}, &inv)
	for i, score := range []int{5, 2} {
		apiJSON(t, http.StatusCreated, "POST", a+"/v1/surveys/"+sv.ID+"/responses", "", map[string]any{"token": inv.Tokens[i], "answers": sipas2017(score)}, nil)
	}
	if code, b := apiCall(t, "POST", a+"/v1/surveys/"+sv.ID+"/responses", c1, map[string]any{"answers": sipas2017(4)}); code != http.StatusCreated {
		t.Fatalf("app response: %d %s", code, b)
	}

	// What came with the province's accounts, push and API clients.
	apiJSON(t, http.StatusCreated, "POST", a+"/v1/admin/clients", admin, map[string]any{"name": "LGSP Cà Mau", "scopes": []string{"stats:read"}}, nil)
	apiJSON(t, http.StatusCreated, "POST", a+"/v1/admin/oidc/group-mappings", admin,
		map[string]any{"group": "so-xay-dung-can-bo", "role": "officer", "agency_code": "cap-nuoc-ca-mau"}, nil)
	apiJSON(t, http.StatusOK, "PUT", a+"/v1/admin/oidc/verified-acr-values", admin, map[string]any{"acr_values": []string{"vneid-level-2"}}, nil)
	device := map[string]any{"platform": "android", "push_token": "migrate-push-token-000000000001"}
	apiJSON(t, http.StatusCreated, "POST", a+"/v1/me/devices", c1, device, nil)

	// What the service answers: public, per citizen, per staff role.
	type read struct{ path, token string }
	reads := []read{
		{"/v1/reports", ""}, {"/v1/reports?q=cống", ""}, {"/v1/reports.geojson", ""},
		{"/v1/me/reports", c1}, {"/v1/me/reports", c2},
		{"/v1/agency/reports", officer}, {"/v1/agency/reports", coord}, {"/v1/agency/reports?status=submitted", coord},
		{"/v1/agency/reports/counts", officer}, {"/v1/agency/reports/counts", coord},
		{"/v1/indicators/feedback", ""}, {"/v1/indicators/report-satisfaction", analyst},
		{"/v1/indicators/sipas?survey_id=" + sv.ID + "&group_by=agency", analyst},
		{"/v1/indicators/sipas?survey_id=" + sv.ID + "&channel=app", analyst},
		{"/v1/surveys/" + sv.ID, admin},
		{"/v1/admin/clients", admin}, {"/v1/admin/oidc/group-mappings", admin}, {"/v1/admin/oidc/verified-acr-values", admin},
	}
	for _, id := range []string{resolved, dispatched, submitted, rejected} {
		reads = append(reads, read{"/v1/reports/" + id + "/history", coord}, read{"/v1/reports/" + id, coord})
	}
	for _, id := range []string{resolved, dispatched} {
		reads = append(reads, read{"/v1/reports/" + id + "/history", c1}, read{"/v1/reports/" + id, c1}, read{"/v1/reports/" + id, ""})
	}
	for _, id := range photos {
		reads = append(reads, read{"/v1/media/" + id, coord}, read{"/v1/media/" + id + "/thumb", coord})
	}
	answers := func(base string) map[string]string {
		out := map[string]string{}
		for _, r := range reads {
			code, body := apiCall(t, "GET", base+r.path, r.token, nil)
			out[r.path+" as "+r.token[:min(len(r.token), 12)]] = fmt.Sprintf("%d %s", code, normalize(body))
		}
		return out
	}
	before := answers(a)
	if !strings.HasPrefix(before["/v1/reports as "], "200 ") || strings.Count(before["/v1/me/reports as "+c1[:12]], `"id"`) < 2 {
		t.Fatalf("the embedded store does not serve what was filed: %s", before["/v1/reports as "])
	}
	stopA()

	srv := mongotest.Start(t)
	target := srv.URI
	if i := strings.Index(target, "?"); i >= 0 {
		target = target[:i] + srv.Database + target[i:]
	} else {
		target = strings.TrimSuffix(target, "/") + "/" + srv.Database
	}
	migrateEnv := env("CAMAUG_DATA_DIR", t.TempDir(), "CAMAUG_KEY_SECRET", migrateSecret)
	var out strings.Builder
	if err := run(context.Background(), []string{"camaug", "migrate", "--from", "sqlite:" + dir, "--to", target}, migrateEnv, &out, io.Discard); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	t.Logf("first run:\n%s", out.String())
	if !strings.Contains(out.String(), "verified:") {
		t.Fatalf("the migration did not verify: %s", out.String())
	}

	b, stopB := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", t.TempDir(), "CAMAUG_KEY_SECRET", migrateSecret,
		"MONGODB_URI", srv.URI, "CAMAUG_MONGODB_DATABASE", srv.Database))
	after := answers(b)
	same := 0
	for k, want := range before {
		if got := after[k]; got != want {
			t.Errorf("GET %s:\n  SQLite:  %.600s\n  MongoDB: %.600s", k, want, got)
		} else {
			same++
		}
	}
	t.Logf("%d answers compared, %d identical", len(before), same)
	// A retry of a submission made before the move is recognised after it.
	if got := submitKeyed(t, b, c2, "retry-key-0001"); got != retried {
		t.Errorf("a retried submission after the move made report %s, want the first one, %s", got, retried)
	}
	// The migrated accounts sign in with their passwords.
	login(t, b, "canbo@capnuoc.camau.gov.vn")
	// The phone's push token came along: registering it again is a re-registration (200), not a new device.
	if code, body := apiCall(t, "POST", b+"/v1/me/devices", c1, device); code != http.StatusOK {
		t.Errorf("the push device did not come along: registering it again gave %d %s", code, body)
	}
	stopB()

	out.Reset()
	if err := run(context.Background(), []string{"camaug", "migrate", "--from", "sqlite:" + dir, "--to", target}, migrateEnv, &out, io.Discard); err != nil {
		t.Fatalf("second migrate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "nothing to do") {
		t.Fatalf("the second run changed something:\n%s", out.String())
	}

	// Refusals: another key secret; a database with data of its own.
	err := run(context.Background(), []string{"camaug", "migrate", "--from", "sqlite:" + dir, "--to", target},
		env("CAMAUG_KEY_SECRET", "another-secret-entirely-0123456789"), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "does not open the signing keys") {
		t.Fatalf("another key secret: got %v", err)
	}
	other := mongotest.Start(t)
	// A signing key of the other database's own.
	if err := run(context.Background(), []string{"camaug", "keys", "rotate"},
		env("CAMAUG_KEY_SECRET", migrateSecret, "MONGODB_URI", other.URI, "CAMAUG_MONGODB_DATABASE", other.Database), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	otherTarget := strings.Replace(target, srv.URI[:strings.LastIndex(srv.URI, "/")+1], other.URI[:strings.LastIndex(other.URI, "/")+1], 1)
	otherTarget = strings.Replace(otherTarget, srv.Database, other.Database, 1)
	err = run(context.Background(), []string{"camaug", "migrate", "--from", "sqlite:" + dir, "--to", otherTarget}, migrateEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not from") || !strings.Contains(err.Error(), "signing key") {
		t.Fatalf("a database with its own data: got %v", err)
	}
	if bytes.Contains([]byte(out.String()), []byte(migrateSecret)) {
		t.Fatal("the output shows the key secret")
	}
}

// submitKeyed files a report with an Idempotency-Key and returns its ID.
func submitKeyed(t *testing.T, base, token, key string) string {
	t.Helper()
	body := `{"category_code":"cap-thoat-nuoc","title":"Cống nghẹt rác","description":"Cống thoát nước bị nghẹt rác nhiều ngày.",` +
		`"location":{"lat":9.1771,"lng":105.1519},"address":"Phường Tân Thành, Cà Mau"}`
	req, _ := http.NewRequest("POST", base+"/v1/reports", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	code, b := doRequest(t, req)
	if code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("keyed submission: %d %s", code, b)
	}
	var rep struct {
		ID string `json:"id"`
	}
	json.Unmarshal(b, &rep)
	return rep.ID
}

// TestMigrate_PhotosIntoBucket: with CAMAUG_MEDIA_S3_* set, the photos go
// into the bucket the MongoDB instances use, and they serve them.
func TestMigrate_PhotosIntoBucket(t *testing.T) {
	endpoint, backend := fakeS3(t, "camaug-media")
	dir := filepath.Join(t.TempDir(), "data")
	a, stopA := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir, "CAMAUG_KEY_SECRET", migrateSecret))
	tok := guestToken(t, a, "device-migrate-0031")
	id := uploadPhoto(t, a, tok, submit(t, a, tok, "cap-thoat-nuoc", "Ngập nước", 9.1769, 105.1524), testJPEG(t, 70))
	_, want := apiCall(t, "GET", a+"/v1/media/"+id, tok, nil)
	stopA()

	srv := mongotest.Start(t)
	target := strings.TrimSuffix(srv.URI, "/") + "/" + srv.Database
	if i := strings.Index(srv.URI, "?"); i >= 0 {
		target = srv.URI[:i] + srv.Database + srv.URI[i:]
	}
	getenv := env(append([]string{"CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", t.TempDir(), "CAMAUG_KEY_SECRET", migrateSecret,
		"MONGODB_URI", srv.URI, "CAMAUG_MONGODB_DATABASE", srv.Database}, s3Env(endpoint, "camaug-media")...)...)
	if err := run(context.Background(), []string{"camaug", "migrate", "--from", "sqlite:" + dir, "--to", target}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := objectBytes(t, backend, "camaug-media", id+".jpg"); !bytes.Equal(got, want) {
		t.Fatalf("the bucket holds %d bytes, the embedded store served %d", len(got), len(want))
	}
	b, _ := startServer(t, getenv)
	if code, got := apiCall(t, "GET", b+"/v1/media/"+id, tok, nil); code != http.StatusOK || !bytes.Equal(got, want) {
		t.Fatalf("after the move: %d, %d bytes; want 200 and the same %d bytes", code, len(got), len(want))
	}
}
