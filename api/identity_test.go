package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/identity"
)

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

type user struct {
	ID         string `json:"id"`
	Role       string `json:"role"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	AgencyCode string `json:"agency_code"`
	Locale     string `json:"locale"`
}

type registered struct {
	User user `json:"user"`
	tokens
}

// req builds a JSON request; token may be empty.
func req(method, target, token string, body any, header ...string) *http.Request {
	var r *http.Request
	if body == nil {
		r = httptest.NewRequest(method, target, nil)
	} else {
		b, _ := json.Marshal(body)
		if s, ok := body.(string); ok {
			b = []byte(s)
		}
		r = httptest.NewRequest(method, target, bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s: got status %d, want %d; body %s", r.Request.URL, r.StatusCode, status, r.body)
	}
}

func registerCitizen(t *testing.T, env *testEnv, phone, password string) registered {
	t.Helper()
	r := do(t, env.app, req("POST", "/v1/auth/register", "", map[string]string{"phone": phone, "password": password, "name": "Nguyễn Thị Mai"}))
	wantStatus(t, r, http.StatusCreated)
	var out registered
	r.json(t, &out)
	return out
}

func loginAs(t *testing.T, env *testEnv, login, password string) tokens {
	t.Helper()
	r := do(t, env.app, req("POST", "/v1/auth/login", "", map[string]string{"login": login, "password": password}))
	wantStatus(t, r, http.StatusOK)
	var out tokens
	r.json(t, &out)
	return out
}

// staff creates a staff account directly and signs it in.
func staff(t *testing.T, env *testEnv, role identity.Role, email, agency string) tokens {
	t.Helper()
	if _, err := env.ids.AddStaff(context.Background(), identity.StaffInput{Role: role, Email: email, Name: "Cán bộ " + string(role),
		Password: "mat-khau-an-toan", AgencyCode: agency}); err != nil {
		t.Fatal(err)
	}
	return loginAs(t, env, email, "mat-khau-an-toan")
}

func TestCitizenAccountFlow(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		reg := registerCitizen(t, env, "0912 345 678", "ngap-nuoc-2026")
		if reg.User.Role != "citizen" || reg.User.Phone != "+84912345678" || reg.TokenType != "Bearer" || reg.ExpiresIn != 900 {
			t.Fatalf("got %+v", reg)
		}
		// The same number written another way is the same account.
		r := do(t, env.app, req("POST", "/v1/auth/register", "", map[string]string{"phone": "+84912345678", "password": "khac-hoan-toan", "name": "X"}))
		wantProblem(t, r, http.StatusConflict)

		tok := loginAs(t, env, "84912345678", "ngap-nuoc-2026")
		var me user
		r = do(t, env.app, req("GET", "/v1/me", tok.AccessToken, nil))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &me)
		if me.ID != reg.User.ID || me.Name != "Nguyễn Thị Mai" || me.Locale != "vi" {
			t.Fatalf("me: got %+v", me)
		}
		r = do(t, env.app, req("PATCH", "/v1/me", tok.AccessToken, map[string]string{"locale": "en", "name": "  Mai   Nguyễn "}))
		wantStatus(t, r, http.StatusOK)
		r.json(t, &me)
		if me.Locale != "en" || me.Name != "Mai Nguyễn" {
			t.Fatalf("after PATCH: got %+v", me)
		}

		// Refresh rotates; a spent token revokes its whole family.
		r = do(t, env.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}))
		wantStatus(t, r, http.StatusOK)
		var rotated tokens
		r.json(t, &rotated)
		if rotated.RefreshToken == tok.RefreshToken || rotated.AccessToken == "" {
			t.Fatal("refresh did not rotate the token")
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})), http.StatusUnauthorized)
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": rotated.RefreshToken})), http.StatusUnauthorized)

		// Logout revokes the family of a fresh login.
		tok2 := loginAs(t, env, "0912345678", "ngap-nuoc-2026")
		wantStatus(t, do(t, env.app, req("POST", "/v1/auth/logout", "", map[string]string{"refresh_token": tok2.RefreshToken})), http.StatusNoContent)
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": tok2.RefreshToken})), http.StatusUnauthorized)
		wantStatus(t, do(t, env.app, req("POST", "/v1/auth/logout", "", map[string]string{"refresh_token": "never-issued"})), http.StatusNoContent)

		// Changing the password signs out everywhere.
		tok3 := loginAs(t, env, "0912345678", "ngap-nuoc-2026")
		p := wantProblem(t, do(t, env.app, req("POST", "/v1/me/password", tok3.AccessToken,
			map[string]string{"current_password": "wrong-one!", "new_password": "trieu-cuong-2026"})), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "current_password" {
			t.Fatalf("wrong current password: got %+v", p.Errors)
		}
		wantStatus(t, do(t, env.app, req("POST", "/v1/me/password", tok3.AccessToken,
			map[string]string{"current_password": "ngap-nuoc-2026", "new_password": "trieu-cuong-2026"})), http.StatusNoContent)
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": tok3.RefreshToken})), http.StatusUnauthorized)
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/login", "", map[string]string{"login": "0912345678", "password": "ngap-nuoc-2026"})), http.StatusUnauthorized)
		tok4 := loginAs(t, env, "0912345678", "trieu-cuong-2026")

		// Deleting the account erases the person; the login is free again.
		wantStatus(t, do(t, env.app, req("DELETE", "/v1/me", tok4.AccessToken, nil)), http.StatusNoContent)
		wantProblem(t, do(t, env.app, req("GET", "/v1/me", tok4.AccessToken, nil)), http.StatusUnauthorized)
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/login", "", map[string]string{"login": "0912345678", "password": "trieu-cuong-2026"})), http.StatusUnauthorized)
		erased, err := env.store.Identity().GetUser(context.Background(), reg.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		if erased.Name != "" || erased.Phone != "" || erased.Email != "" || erased.PasswordHash != "" || !erased.Erased {
			t.Fatalf("personal data left after DELETE /v1/me: %+v", erased)
		}
		again := registerCitizen(t, env, "0912345678", "so-moi-hoan-toan")
		if again.User.ID == reg.User.ID {
			t.Fatal("a new registration reused the erased account")
		}
	})
}

func TestRegister_Invalid(t *testing.T) {
	env := newEnv(t, "sqlite")
	r := do(t, env.app, req("POST", "/v1/auth/register", "", map[string]string{"phone": "0212345678", "email": "khong-phai-email", "password": "0212345678", "name": " "}, "Accept-Language", "en"))
	p := wantProblem(t, r, http.StatusUnprocessableEntity)
	got := map[string]string{}
	for _, e := range p.Errors {
		got[e.Field] = e.Message
	}
	for _, f := range []string{"phone", "email", "password", "name"} {
		if got[f] == "" {
			t.Errorf("no error for %s; got %v", f, got)
		}
	}
	if !strings.Contains(got["phone"], "Vietnamese mobile") {
		t.Errorf("phone message not in English: %q", got["phone"])
	}
	// The tags' failures (name missing, an unknown locale) and the
	// service's (no phone or email, a short password) come in one answer.
	r = do(t, env.app, req("POST", "/v1/auth/register", "", map[string]string{"password": "abc", "locale": "fr"}))
	p = wantProblem(t, r, http.StatusUnprocessableEntity)
	got = map[string]string{}
	for _, e := range p.Errors {
		got[e.Field] = e.Message
	}
	if len(p.Errors) != 4 || got["name"] != "Bắt buộc nhập" || got["locale"] == "" || got["phone"] == "" || got["password"] == "" {
		t.Errorf("got %+v, want one error each on name (in Vietnamese), locale, phone and password", p.Errors)
	}
}

func TestHostileInput(t *testing.T) {
	env := newEnv(t, "sqlite")
	for name, tt := range map[string]struct {
		body   string
		ctype  string
		status int
		field  string
	}{
		"unknown field":       {`{"login":"a@b.vn","password":"12345678","admin":true}`, "application/json", 400, "admin"},
		"object for a string": {`{"login":{"$ne":""},"password":"12345678"}`, "application/json", 400, "login"},
		"malformed":           {`{"login":"a@b.vn",`, "application/json", 400, ""},
		"not an object":       {`["a"]`, "application/json", 400, ""},
		"two objects":         {`{"login":"a@b.vn","password":"x"} {}`, "application/json", 400, ""},
		"empty":               {``, "application/json", 400, ""},
		"form post":           {`login=a&password=b`, "application/x-www-form-urlencoded", 415, ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/auth/login", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ctype)
			p := wantProblem(t, do(t, env.app, r), tt.status)
			if tt.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.field) {
				t.Errorf("errors %+v, want one naming %s", p.Errors, tt.field)
			}
		})
	}
	t.Run("over the body limit", func(t *testing.T) {
		// app.Test cannot carry an oversized body, so use a real listener.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go env.app.Listener(ln)
		t.Cleanup(func() { env.app.Shutdown() })
		// Declare a 2 MiB body and send none of it: the answer must come
		// before the body is read. (Body bytes the server never reads make
		// its close after the 413 a reset, which can reach the client before
		// the answer does.)
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(conn, "POST /v1/auth/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			ln.Addr(), 2<<20)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantProblem(t, response{resp, body}, http.StatusRequestEntityTooLarge)
	})
}

func TestGuestFlow(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		var g1, g2 registered
		r := do(t, env.app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "ios-3f9a1c2e-tourist", "locale": "en"}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &g1)
		if g1.User.Role != "guest" || g1.User.Name != "" || g1.User.Phone != "" || g1.User.Email != "" || g1.User.Locale != "en" {
			t.Fatalf("guest: got %+v, want role guest and no personal data", g1.User)
		}
		var secret struct {
			GuestSecret string `json:"guest_secret"`
		}
		r.json(t, &secret)
		if len(secret.GuestSecret) < 40 {
			t.Fatalf("first sign-in: guest_secret %q, want a long random secret", secret.GuestSecret)
		}
		r = do(t, env.app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "ios-3f9a1c2e-tourist", "guest_secret": secret.GuestSecret}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &g2)
		if g2.User.ID != g1.User.ID {
			t.Fatal("the same device got a second guest account")
		}
		if strings.Contains(string(r.body), "guest_secret") {
			t.Fatalf("a later sign-in shows a secret again: %s", r.body)
		}
		// The device ID itself is never stored.
		u, _ := env.store.Identity().GetUser(context.Background(), g1.User.ID)
		if strings.Contains(u.DeviceHash, "tourist") || u.DeviceHash == "" {
			t.Fatalf("device stored as %q", u.DeviceHash)
		}
		// Registering with the guest's token turns the guest into the citizen.
		r = do(t, env.app, req("POST", "/v1/auth/register", g1.AccessToken, map[string]string{"email": "traveller@example.com", "password": "cau-vong-ca-mau", "name": "Alex Smith"}))
		wantStatus(t, r, http.StatusCreated)
		var reg registered
		r.json(t, &reg)
		if reg.User.ID != g1.User.ID || reg.User.Role != "citizen" || reg.User.Email != "traveller@example.com" {
			t.Fatalf("after registering: got %+v, want guest %s upgraded", reg.User, g1.User.ID)
		}
		// The device now starts a new guest.
		var g3 registered
		r = do(t, env.app, req("POST", "/v1/auth/guest", "", map[string]string{"device_id": "ios-3f9a1c2e-tourist"}))
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &g3)
		if g3.User.ID == g1.User.ID || g3.User.Role != "guest" {
			t.Fatalf("after upgrade the device got %+v", g3.User)
		}
	})
}

// TestGuestDeviceIDIsNotACredential: someone who knows (or guesses) a
// device ID gets no session of that guest, with no secret or a wrong one;
// a guest created before secrets existed gets one only with its own
// token, after which its device ID alone is refused too.
func TestGuestDeviceIDIsNotACredential(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		type guestOut struct {
			registered
			GuestSecret string `json:"guest_secret"`
		}
		sign := func(token string, body map[string]string) response {
			return do(t, env.app, req("POST", "/v1/auth/guest", token, body))
		}
		var owner guestOut
		sign("", map[string]string{"device_id": "android-0000-0001"}).json(t, &owner)
		for _, body := range []map[string]string{
			{"device_id": "android-0000-0001"},
			{"device_id": "android-0000-0001", "guest_secret": "doan-bua-mot-bi-mat"},
			{"device_id": "android-0000-0001", "guest_secret": owner.RefreshToken},
		} {
			p := wantProblem(t, sign("", body), http.StatusUnauthorized)
			if strings.Contains(p.Detail, owner.User.ID) {
				t.Fatalf("the refusal names the account: %+v", p)
			}
		}
		// Another guest's token does not unlock the device either.
		var other guestOut
		sign("", map[string]string{"device_id": "android-0000-0002"}).json(t, &other)
		wantProblem(t, sign(other.AccessToken, map[string]string{"device_id": "android-0000-0001"}), http.StatusUnauthorized)

		// A guest from before secrets (no hash stored).
		ctx := context.Background()
		u, err := env.store.Identity().GetUser(ctx, owner.User.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.GuestSecretHash = ""
		if err := env.store.Identity().UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, sign("", map[string]string{"device_id": "android-0000-0001"}), http.StatusUnauthorized)
		wantProblem(t, sign(other.AccessToken, map[string]string{"device_id": "android-0000-0001"}), http.StatusUnauthorized)
		var claimed guestOut
		r := sign(owner.AccessToken, map[string]string{"device_id": "android-0000-0001"})
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &claimed)
		if claimed.User.ID != owner.User.ID || claimed.GuestSecret == "" || claimed.GuestSecret == owner.GuestSecret {
			t.Fatalf("claim with the guest's own token: got %+v, want the same account and a new secret", claimed)
		}
		wantProblem(t, sign("", map[string]string{"device_id": "android-0000-0001"}), http.StatusUnauthorized)
		wantProblem(t, sign("", map[string]string{"device_id": "android-0000-0001", "guest_secret": owner.GuestSecret}), http.StatusUnauthorized)
		var again guestOut
		r = sign("", map[string]string{"device_id": "android-0000-0001", "guest_secret": claimed.GuestSecret})
		wantStatus(t, r, http.StatusCreated)
		r.json(t, &again)
		if again.User.ID != owner.User.ID {
			t.Fatalf("device ID and secret: got account %s, want %s", again.User.ID, owner.User.ID)
		}
	})
}

func TestStaffManagement(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		created, err := env.ids.EnsureAdmin(ctx, "admin@camau.gov.vn", "quan-tri-2026")
		if err != nil || !created {
			t.Fatalf("EnsureAdmin: %v, %v", created, err)
		}
		if again, _ := env.ids.EnsureAdmin(ctx, "other@camau.gov.vn", "quan-tri-khac"); again {
			t.Fatal("EnsureAdmin created a second admin")
		}
		admin := loginAs(t, env, "admin@camau.gov.vn", "quan-tri-2026")

		r := do(t, env.app, req("POST", "/v1/admin/users", admin.AccessToken, map[string]string{"role": "officer", "email": "canbo@soxaydung.camau.gov.vn",
			"name": "Lê Văn Cường", "password": "xay-dung-2026", "agency_code": "so-xay-dung"}))
		wantStatus(t, r, http.StatusCreated)
		var officer user
		r.json(t, &officer)
		if officer.Role != "officer" || officer.AgencyCode != "so-xay-dung" {
			t.Fatalf("got %+v", officer)
		}
		p := wantProblem(t, do(t, env.app, req("POST", "/v1/admin/users", admin.AccessToken, map[string]string{"role": "officer", "email": "x@camau.gov.vn",
			"name": "X", "password": "xay-dung-2026", "agency_code": "so-khong-co"})), http.StatusUnprocessableEntity)
		if p.Errors[0].Field != "agency_code" {
			t.Fatalf("unknown agency: got %+v", p.Errors)
		}
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/users", admin.AccessToken, map[string]string{"role": "officer", "email": "canbo@soxaydung.camau.gov.vn",
			"name": "X", "password": "xay-dung-2026", "agency_code": "so-xay-dung"})), http.StatusConflict)

		offTok := loginAs(t, env, "canbo@soxaydung.camau.gov.vn", "xay-dung-2026")
		wantProblem(t, do(t, env.app, req("GET", "/v1/admin/users", offTok.AccessToken, nil)), http.StatusForbidden)
		cit := registerCitizen(t, env, "0987654321", "cong-dan-2026")
		wantProblem(t, do(t, env.app, req("GET", "/v1/admin/users", cit.AccessToken, nil)), http.StatusForbidden)

		// An agency admin manages only its own agency's officers.
		aa := staff(t, env, identity.RoleAgencyAdmin, "truongphong@soxaydung.camau.gov.vn", "so-xay-dung")
		wantStatus(t, do(t, env.app, req("POST", "/v1/admin/users", aa.AccessToken, map[string]string{"role": "officer", "email": "canbo2@soxaydung.camau.gov.vn",
			"name": "Phạm Thị Dung", "password": "xay-dung-2027"})), http.StatusCreated)
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/users", aa.AccessToken, map[string]string{"role": "officer", "email": "canbo@soyte.camau.gov.vn",
			"name": "X", "password": "y-te-2026-abc", "agency_code": "so-y-te"})), http.StatusForbidden)
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/users", aa.AccessToken, map[string]string{"role": "admin", "email": "x2@camau.gov.vn",
			"name": "X", "password": "y-te-2026-abc"})), http.StatusForbidden)
		other := staff(t, env, identity.RoleOfficer, "canbo@soyte.camau.gov.vn", "so-y-te")
		_ = other
		var page struct {
			Items      []user  `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		do(t, env.app, req("GET", "/v1/admin/users", aa.AccessToken, nil)).json(t, &page)
		if len(page.Items) != 2 {
			t.Fatalf("agency admin sees %d accounts, want its 2 officers: %+v", len(page.Items), page.Items)
		}
		for _, u := range page.Items {
			if u.AgencyCode != "so-xay-dung" || u.Role != "officer" {
				t.Fatalf("agency admin sees %+v", u)
			}
		}
		var all struct{ Items []user }
		do(t, env.app, req("GET", "/v1/admin/users?role=officer", admin.AccessToken, nil)).json(t, &all)
		if len(all.Items) != 3 {
			t.Fatalf("admin sees %d officers, want 3", len(all.Items))
		}
		// Pagination walks every account once.
		seen := map[string]bool{}
		cursor := ""
		for i := 0; i < 10; i++ {
			var pg struct {
				Items      []user  `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}
			do(t, env.app, req("GET", "/v1/admin/users?limit=2&cursor="+cursor, admin.AccessToken, nil)).json(t, &pg)
			for _, u := range pg.Items {
				if seen[u.ID] {
					t.Fatalf("account %s on two pages", u.ID)
				}
				seen[u.ID] = true
			}
			if pg.NextCursor == nil {
				break
			}
			cursor = *pg.NextCursor
		}
		if len(seen) != 6 {
			t.Fatalf("paging saw %d accounts, want 6", len(seen))
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/admin/users?cursor=%21%21", admin.AccessToken, nil)), http.StatusUnprocessableEntity)

		// Another agency's officer is invisible to the agency admin.
		var otherUser identity.User
		list, _ := env.store.Identity().ListUsers(ctx, identity.UserFilter{AgencyCode: "so-y-te", Limit: 10})
		otherUser = list[0]
		wantProblem(t, do(t, env.app, req("PATCH", "/v1/admin/users/"+otherUser.ID, aa.AccessToken, map[string]bool{"disabled": true})), http.StatusNotFound)

		// Disabling an officer stops its access token at once.
		r = do(t, env.app, req("PATCH", "/v1/admin/users/"+officer.ID, aa.AccessToken, map[string]bool{"disabled": true}))
		wantStatus(t, r, http.StatusOK)
		wantProblem(t, do(t, env.app, req("GET", "/v1/me", offTok.AccessToken, nil)), http.StatusUnauthorized)
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": offTok.RefreshToken})), http.StatusUnauthorized)
		// Agency admins cannot change roles.
		wantProblem(t, do(t, env.app, req("PATCH", "/v1/admin/users/"+officer.ID, aa.AccessToken, map[string]string{"role": "admin"})), http.StatusForbidden)
		// Admin promotes and moves an officer.
		r = do(t, env.app, req("PATCH", "/v1/admin/users/"+officer.ID, admin.AccessToken, map[string]any{"role": "coordinator", "disabled": false}))
		wantStatus(t, r, http.StatusOK)
		var promoted user
		r.json(t, &promoted)
		if promoted.Role != "coordinator" || promoted.AgencyCode != "" {
			t.Fatalf("promoted: got %+v, want coordinator without agency", promoted)
		}
		// The last admin cannot disable or delete itself.
		var adminUser user
		do(t, env.app, req("GET", "/v1/me", admin.AccessToken, nil)).json(t, &adminUser)
		wantProblem(t, do(t, env.app, req("PATCH", "/v1/admin/users/"+adminUser.ID, admin.AccessToken, map[string]bool{"disabled": true})), http.StatusConflict)
		wantProblem(t, do(t, env.app, req("DELETE", "/v1/me", admin.AccessToken, nil)), http.StatusConflict)
	})
}

func TestLoginRateLimit(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		registerCitizen(t, env, "0911111111", "mat-khau-dung")
		for i := 0; i < 5; i++ {
			wantProblem(t, do(t, env.app, req("POST", "/v1/auth/login", "", map[string]string{"login": "0911111111", "password": "sai-" + strconv.Itoa(i)})), http.StatusUnauthorized)
		}
		r := do(t, env.app, req("POST", "/v1/auth/login", "", map[string]string{"login": "+84911111111", "password": "mat-khau-dung"}))
		wantProblem(t, r, http.StatusTooManyRequests)
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 900 {
			t.Fatalf("Retry-After %q, want 1..900 seconds", r.Header.Get("Retry-After"))
		}
		// After the window the right password works again.
		*env.now = env.now.Add(16 * time.Minute)
		loginAs(t, env, "0911111111", "mat-khau-dung")
	})
}

func TestLoginRateLimit_PerAddress(t *testing.T) {
	env := newEnv(t, "sqlite")
	// 20 failures on 20 different accounts from one address; a spoofed
	// X-Forwarded-For from an untrusted peer does not change the address.
	for i := 0; i < 20; i++ {
		r := do(t, env.app, req("POST", "/v1/auth/login", "", map[string]string{"login": fmt.Sprintf("u%d@example.vn", i), "password": "khong-dung-1"},
			"X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i)))
		wantProblem(t, r, http.StatusUnauthorized)
	}
	wantProblem(t, do(t, env.app, req("POST", "/v1/auth/login", "", map[string]string{"login": "new@example.vn", "password": "khong-dung-1"})), http.StatusTooManyRequests)

	// Behind a trusted proxy each client address has its own count.
	trusted := api.New(api.Config{Reference: feedback.NewReferenceService(env.store.Reference()), Identity: env.ids, Ready: env.store.Ping,
		TrustedProxies: []string{"0.0.0.0"}})
	for i := 0; i < 3; i++ {
		r := do(t, trusted, req("POST", "/v1/auth/login", "", map[string]string{"login": fmt.Sprintf("v%d@example.vn", i), "password": "khong-dung-1"},
			"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)))
		wantProblem(t, r, http.StatusUnauthorized)
	}
	// A client that writes its own left-most X-Forwarded-For value is still
	// counted under the address the proxy saw (the right-most one).
	for i := 0; i < 20; i++ {
		r := do(t, trusted, req("POST", "/v1/auth/login", "", map[string]string{"login": fmt.Sprintf("w%d@example.vn", i), "password": "khong-dung-1"},
			"X-Forwarded-For", fmt.Sprintf("203.0.113.%d, 192.0.2.77", i)))
		wantProblem(t, r, http.StatusUnauthorized)
	}
	wantProblem(t, do(t, trusted, req("POST", "/v1/auth/login", "", map[string]string{"login": "x@example.vn", "password": "khong-dung-1"},
		"X-Forwarded-For", "203.0.113.200, 192.0.2.77")), http.StatusTooManyRequests)
}

// TestTokenAttacks: every forged or stale token gets 401.
func TestTokenAttacks(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		reg := registerCitizen(t, env, "0933333333", "hop-le-2026")
		good := reg.AccessToken
		wantStatus(t, do(t, env.app, req("GET", "/v1/me", good, nil)), http.StatusOK)
		parts := strings.Split(good, ".")
		var header map[string]any
		hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
		json.Unmarshal(hb, &header)
		kid := header["kid"].(string)
		var jwks struct {
			Keys []struct{ X, Kid string }
		}
		do(t, env.app, req("GET", "/.well-known/jwks.json", "", nil)).json(t, &jwks)
		if len(jwks.Keys) != 1 || jwks.Keys[0].Kid != kid {
			t.Fatalf("jwks %+v, want the signing key %s", jwks, kid)
		}
		pub, _ := base64.RawURLEncoding.DecodeString(jwks.Keys[0].X)

		enc := func(v any) string {
			b, _ := json.Marshal(v)
			return base64.RawURLEncoding.EncodeToString(b)
		}
		var claims map[string]any
		cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
		json.Unmarshal(cb, &claims)

		hs256 := func() string {
			h := enc(map[string]string{"alg": "HS256", "typ": "JWT", "kid": kid})
			mac := hmac.New(sha256.New, pub)
			mac.Write([]byte(h + "." + parts[1]))
			return h + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
		}
		tampered := func() string {
			c := map[string]any{}
			for k, v := range claims {
				c[k] = v
			}
			c["role"] = "admin"
			return parts[0] + "." + enc(c) + "." + parts[2]
		}
		unknownKid := func() string {
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims(claims))
			tok.Header["kid"] = "k-unknown"
			s, _ := tok.SignedString(priv)
			return s
		}
		// Tokens signed with the real key but wrong claims: a second service
		// over the same store and key secret.
		other := func(cfg identity.Config) string {
			keys, err := identity.NewKeyring(ctx, env.store.Identity(), []byte("test key secret"))
			if err != nil {
				t.Fatal(err)
			}
			svc := identity.NewService(env.store.Identity(), keys, cfg)
			tk, err := svc.Login(ctx, "0933333333", "hop-le-2026", "127.0.0.9")
			if err != nil {
				t.Fatal(err)
			}
			return tk.AccessToken
		}
		attacks := map[string]string{
			"alg none":                  enc(map[string]string{"alg": "none", "typ": "JWT", "kid": kid}) + "." + parts[1] + ".",
			"HS256 with the public key": hs256(),
			"unknown kid":               unknownKid(),
			"tampered payload":          tampered(),
			"wrong issuer":              other(identity.Config{Issuer: "not-camaug"}),
			"wrong audience":            other(identity.Config{Audience: "another-api"}),
			"expired":                   other(identity.Config{Now: func() time.Time { return time.Now().Add(-time.Hour) }}),
			"not a JWT":                 "abc.def",
			"empty":                     " ",
		}
		for name, tok := range attacks {
			t.Run(name, func(t *testing.T) {
				r := do(t, env.app, req("GET", "/v1/me", tok, nil))
				wantProblem(t, r, http.StatusUnauthorized)
				if r.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}
		t.Run("user disabled since", func(t *testing.T) {
			u, _ := env.store.Identity().GetUser(ctx, reg.User.ID)
			u.Disabled = true
			if err := env.store.Identity().UpdateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			wantProblem(t, do(t, env.app, req("GET", "/v1/me", good, nil)), http.StatusUnauthorized)
		})
	})
}

func TestKeyRotation(t *testing.T) {
	env := newEnv(t, "sqlite")
	reg := registerCitizen(t, env, "0944444444", "xoay-khoa-2026")
	if _, err := env.ids.Keys().Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	var jwks struct{ Keys []struct{ Kid string } }
	do(t, env.app, req("GET", "/.well-known/jwks.json", "", nil)).json(t, &jwks)
	if len(jwks.Keys) != 2 {
		t.Fatalf("after rotation: %d keys published, want 2", len(jwks.Keys))
	}
	// A token signed with the old key still works; new tokens use the new key.
	wantStatus(t, do(t, env.app, req("GET", "/v1/me", reg.AccessToken, nil)), http.StatusOK)
	tok := loginAs(t, env, "0944444444", "xoay-khoa-2026")
	hb, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[0])
	if !strings.Contains(string(hb), jwks.Keys[0].Kid) {
		t.Fatalf("new token header %s, want the newest kid %s", hb, jwks.Keys[0].Kid)
	}
	// Keys sealed with another secret cannot be opened.
	if _, err := identity.NewKeyring(context.Background(), env.store.Identity(), []byte("another secret")); err == nil {
		t.Fatal("a keyring opened keys sealed with another secret")
	}
}

func TestResetPassword(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		if _, err := env.ids.EnsureAdmin(ctx, "admin@camau.gov.vn", "quan-tri-2026"); err != nil {
			t.Fatal(err)
		}
		admin := loginAs(t, env, "admin@camau.gov.vn", "quan-tri-2026")
		off := staff(t, env, identity.RoleOfficer, "canbo@soxaydung.camau.gov.vn", "so-xay-dung")
		var officer user
		do(t, env.app, req("GET", "/v1/me", off.AccessToken, nil)).json(t, &officer)
		token, _, _, err := env.ids.StartSession(ctx, "canbo@soxaydung.camau.gov.vn", "mat-khau-an-toan", "10.0.0.7")
		if err != nil {
			t.Fatal(err)
		}

		r := do(t, env.app, req("POST", "/v1/admin/users/"+officer.ID+"/password", admin.AccessToken, nil))
		wantStatus(t, r, http.StatusOK)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Fatalf("Cache-Control %q, want no-store", cc)
		}
		var out struct {
			TemporaryPassword string `json:"temporary_password"`
		}
		r.json(t, &out)
		if len(out.TemporaryPassword) < 16 {
			t.Fatalf("temporary password %q, want at least 16 characters", out.TemporaryPassword)
		}
		// The old password, refresh tokens and console sessions are all gone.
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": off.RefreshToken})), http.StatusUnauthorized)
		wantProblem(t, do(t, env.app, req("POST", "/v1/auth/login", "", map[string]string{"login": "canbo@soxaydung.camau.gov.vn", "password": "mat-khau-an-toan"})), http.StatusUnauthorized)
		if _, _, err := env.ids.ResumeSession(ctx, token); err == nil {
			t.Fatal("a console session survived the reset")
		}
		loginAs(t, env, "canbo@soxaydung.camau.gov.vn", out.TemporaryPassword)

		// An agency admin resets only its own officers; nobody resets a citizen's.
		aa := staff(t, env, identity.RoleAgencyAdmin, "truongphong@soyte.camau.gov.vn", "so-y-te")
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/users/"+officer.ID+"/password", aa.AccessToken, nil)), http.StatusNotFound)
		cit := registerCitizen(t, env, "0987654321", "cong-dan-2026")
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/users/"+cit.User.ID+"/password", admin.AccessToken, nil)), http.StatusForbidden)
		loginAs(t, env, "0987654321", "cong-dan-2026")
		wantProblem(t, do(t, env.app, req("POST", "/v1/admin/users/not-an-id/password", admin.AccessToken, nil)), http.StatusUnprocessableEntity)
	})
}
