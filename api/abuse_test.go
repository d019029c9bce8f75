package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"camaug/api"
	"camaug/feedback"
)

// TestSupportRules: a report awaiting review may be supported, once per
// account; a rejected or closed one may not; and an account may support
// only so many reports a window.
func TestSupportRules(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Reports: env.reports,
			Surveys: env.surveys, Ready: env.store.Ping, Limits: api.Limits{SupportsPerAccount: 3}})
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		fan := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		submit := func() string {
			var rep reportResp
			do(t, app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
			return rep.ID
		}
		support := func(id string) response {
			return do(t, app, req("POST", "/v1/reports/"+id+"/support", fan.AccessToken, nil))
		}
		waiting := submit()
		wantStatus(t, support(waiting), http.StatusOK)
		rejected := submit()
		wantStatus(t, do(t, app, req("POST", "/v1/reports/"+rejected+"/transitions", coord.AccessToken,
			map[string]string{"action": "reject", "note": "Không thuộc thẩm quyền giải quyết"})), http.StatusOK)
		wantProblem(t, support(rejected), http.StatusConflict)
		// Third and last allowed in the window; the fourth is refused.
		wantStatus(t, support(submit()), http.StatusOK)
		r := support(submit())
		wantProblem(t, r, http.StatusTooManyRequests)
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 3600 {
			t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
		}
		// Another account is not affected.
		wantStatus(t, do(t, app, req("POST", "/v1/reports/"+waiting+"/support", cit.AccessToken, nil)), http.StatusOK)
	})
}

// TestNearbyHidesUnpublishedPlaces: a report awaiting review shows to
// others only as a duplicate hint whose distance depends on a ~110 m grid
// cell, never on its exact place; its reporter sees it in full, and once
// dispatched everyone does.
func TestNearbyHidesUnpublishedPlaces(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		type item struct {
			ID           string          `json:"id"`
			Title        string          `json:"title"`
			Location     *map[string]any `json:"location"`
			DistanceM    float64         `json:"distance_m"`
			Approximate  bool            `json:"approximate"`
			SupportCount *int            `json:"support_count"`
		}
		nearby := func(token string, lat, lng float64, radius int) []item {
			t.Helper()
			var out struct{ Items []item }
			r := do(t, env.app, req("GET", fmt.Sprintf("/v1/reports/nearby?lat=%f&lng=%f&radius_m=%d", lat, lng, radius), token, nil))
			wantStatus(t, r, http.StatusOK)
			if bytes.Contains(r.body, []byte("ngập sâu")) {
				t.Fatalf("nearby shows a description: %s", r.body)
			}
			r.json(t, &out)
			return out.Items
		}
		a := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		b := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		stranger := registerCitizen(t, env, "0901234567", "nguoi-la-2026")
		// Two reports at different exact places in one grid cell
		// ([9.176, 9.177) × [105.152, 105.153)).
		ra, rb := validReport(), validReport()
		ra["location"] = map[string]float64{"lat": 9.1769, "lng": 105.1524}
		rb["location"] = map[string]float64{"lat": 9.1762, "lng": 105.1528}
		var repA, repB reportResp
		do(t, env.app, req("POST", "/v1/reports", a.AccessToken, ra)).json(t, &repA)
		do(t, env.app, req("POST", "/v1/reports", b.AccessToken, rb)).json(t, &repB)

		for _, from := range [][2]float64{{9.1769, 105.1524}, {9.1762, 105.1528}, {9.1775, 105.1519}, {9.1755, 105.1535}} {
			for _, radius := range []int{150, 300, 2000} {
				items := nearby(stranger.AccessToken, from[0], from[1], radius)
				if len(items) == 1 || (len(items) == 0 && radius == 2000) {
					t.Fatalf("from %v radius %d: %d items, want both hints or neither (same cell, same answer)", from, radius, len(items))
				}
				for _, it := range items {
					if !it.Approximate || it.Title != "" || it.Location != nil || it.SupportCount != nil || int(it.DistanceM)%100 != 0 {
						t.Fatalf("a hint tells too much: %+v", it)
					}
				}
				if len(items) == 2 && items[0].DistanceM != items[1].DistanceM {
					t.Fatalf("from %v: hints in one cell at different distances %v and %v", from, items[0].DistanceM, items[1].DistanceM)
				}
			}
		}
		// Anonymous callers get hints too.
		if items := nearby("", 9.1769, 105.1524, 150); len(items) != 2 || !items[0].Approximate {
			t.Fatalf("anonymous: %+v", items)
		}
		// The reporter sees their own in full, the other as a hint.
		for _, it := range nearby(a.AccessToken, 9.1769+40/111320.0, 105.1524, 150) {
			switch it.ID {
			case repA.ID:
				if it.Approximate || it.Location == nil || it.DistanceM < 35 || it.DistanceM > 45 {
					t.Fatalf("the reporter's own report: %+v", it)
				}
			case repB.ID:
				if !it.Approximate {
					t.Fatalf("another's unpublished report in full: %+v", it)
				}
			}
		}
		// Dispatched: published, everyone sees it as the feed does.
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+repA.ID+"/transitions", coord.AccessToken, map[string]string{"action": "dispatch"})), http.StatusOK)
		for _, it := range nearby("", 9.1769+40/111320.0, 105.1524, 150) {
			if it.ID == repA.ID && (it.Approximate || it.Location == nil || it.Title == "" || it.SupportCount == nil || it.DistanceM < 35 || it.DistanceM > 45) {
				t.Fatalf("a published report: %+v", it)
			}
		}
	})
}

// TestHostileTextCleaned: control characters and bidi overrides never
// reach the store; Vietnamese letters stay as typed.
func TestHostileTextCleaned(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		body := validReport()
		body["title"] = "Ngập \u202Enước\u202C đường"
		body["description"] = "Đường ngập sâu\x00 khoảng 40 cm\x1b[31m\r\nsau mưa \u2066lớn\u2069, xe máy chết máy hàng loạt."
		var rep struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		}
		r := do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &rep)
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, cit.AccessToken, nil)).json(t, &rep)
		if rep.Title != "Ngập nước đường" || rep.Description != "Đường ngập sâu khoảng 40 cm[31m\nsau mưa lớn, xe máy chết máy hàng loạt." {
			t.Fatalf("stored %q / %q", rep.Title, rep.Description)
		}
		var me struct{ Name string }
		do(t, env.app, req("PATCH", "/v1/me", cit.AccessToken, map[string]string{"name": "Trần \u202EVăn\u202C Bảo\a"})).json(t, &me)
		if me.Name != "Trần Văn Bảo" {
			t.Fatalf("name stored as %q", me.Name)
		}
	})
}

// TestWeakPasswordsRefused: under 10 characters or a common password is
// refused at registration and at a password change.
func TestWeakPasswordsRefused(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		for _, pw := range []string{"chin-ky-t", "1234567890", "MatKhau123"} {
			p := wantProblem(t, do(t, env.app, req("POST", "/v1/auth/register", "", map[string]string{"phone": "0912345678", "password": pw, "name": "Lê Văn An"})),
				http.StatusUnprocessableEntity)
			if len(p.Errors) != 1 || p.Errors[0].Field != "password" {
				t.Fatalf("%q: %+v", pw, p)
			}
		}
		cit := registerCitizen(t, env, "0912345678", "muoi-ky-tu")
		wantProblem(t, do(t, env.app, req("POST", "/v1/me/password", cit.AccessToken,
			map[string]string{"current_password": "muoi-ky-tu", "new_password": "qwertyuiop"})), http.StatusUnprocessableEntity)
	})
}

// TestRegistrationLimitedPerAddress: registration attempts, a 409 for a
// taken phone included, are counted per client address; another address
// is unaffected. Guest sign-ins are limited the same way.
func TestRegistrationLimitedPerAddress(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Reports: env.reports,
			Surveys: env.surveys, Ready: env.store.Ping, TrustedProxies: []string{"0.0.0.0"},
			Limits: api.Limits{RegistrationsPerAddress: 3, GuestsPerAddress: 2}})
		register := func(phone, from string) response {
			return do(t, app, req("POST", "/v1/auth/register", "", map[string]string{"phone": phone, "password": "bao-cao-2026", "name": "Lê Văn An"},
				"X-Forwarded-For", from))
		}
		wantStatus(t, register("0912345678", "198.51.100.1"), http.StatusCreated)
		wantProblem(t, register("0912345678", "198.51.100.1"), http.StatusConflict) // probing a known phone
		wantStatus(t, register("0912345679", "198.51.100.1"), http.StatusCreated)
		r := register("0912345670", "198.51.100.1")
		wantProblem(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		wantStatus(t, register("0912345670", "198.51.100.2"), http.StatusCreated)

		guest := func(device, from string) response {
			return do(t, app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": device}, "X-Forwarded-For", from))
		}
		wantStatus(t, guest("thiet-bi-0001", "198.51.100.3"), http.StatusCreated)
		wantStatus(t, guest("thiet-bi-0002", "198.51.100.3"), http.StatusCreated)
		wantProblem(t, guest("thiet-bi-0003", "198.51.100.3"), http.StatusTooManyRequests)
	})
}

// TestLoginLimitUnderParallelGuesses: 40 wrong guesses sent at once from
// one address get at most the limit (5) through to the password check;
// the right password from another address still works.
func TestLoginLimitUnderParallelGuesses(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		app := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Reports: env.reports,
			Surveys: env.surveys, Ready: env.store.Ping, TrustedProxies: []string{"0.0.0.0"}})
		registerCitizen(t, env, "0911111111", "mat-khau-dung")
		statuses := atOnce(t, app, 40, func(i int) *http.Request {
			return req("POST", "/v1/auth/login", "", map[string]string{"login": "0911111111", "password": "sai-" + strconv.Itoa(i)},
				"X-Forwarded-For", "198.51.100.9")
		})
		if statuses[http.StatusUnauthorized] > 5 || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 40 {
			t.Fatalf("statuses %v: want at most 5 checked (401), the rest 429", statuses)
		}
		r := do(t, app, req("POST", "/v1/auth/login", "", map[string]string{"login": "0911111111", "password": "mat-khau-dung"}, "X-Forwarded-For", "198.51.100.9"))
		wantProblem(t, r, http.StatusTooManyRequests)
		r = do(t, app, req("POST", "/v1/auth/login", "", map[string]string{"login": "0911111111", "password": "mat-khau-dung"}, "X-Forwarded-For", "203.0.113.50"))
		wantStatus(t, r, http.StatusOK)
	})
}

// TestCurrentPasswordGuessesLimited: wrong current passwords on a password
// change are limited like logins, even sent at once.
func TestCurrentPasswordGuessesLimited(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		cit := registerCitizen(t, env, "0911111111", "mat-khau-dung")
		statuses := atOnce(t, env.app, 20, func(i int) *http.Request {
			return req("POST", "/v1/me/password", cit.AccessToken,
				map[string]string{"current_password": "sai-" + strconv.Itoa(i), "new_password": "mat-khau-moi-2026"})
		})
		if statuses[http.StatusUnprocessableEntity] > 5 || statuses[http.StatusTooManyRequests] < 15 {
			t.Fatalf("statuses %v: want at most 5 checked (422), the rest 429", statuses)
		}
	})
}

// atOnce sends n requests in parallel and counts the answers by status.
func atOnce(t *testing.T, app *fiber.App, n int, request func(i int) *http.Request) map[int]int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := app.Test(request(i), -1)
			if err != nil {
				t.Error(err)
				return
			}
			r.Body.Close()
			mu.Lock()
			statuses[r.StatusCode]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	return statuses
}
