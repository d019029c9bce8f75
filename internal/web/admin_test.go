package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"camaug/internal/identity"
)

// userID finds an account's ID on the staff page (the row's forms post to
// /console/staff/{id}).
func userID(t *testing.T, page, email string) string {
	t.Helper()
	i := strings.Index(page, email)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], `action="/console/staff/`) + i + len(`action="/console/staff/`)
	return page[j : j+strings.IndexByte(page[j:], '"')]
}

func TestConsole_AgencyAdminManagesOwnOfficers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.ids.AddStaff(ctx, identity.StaffInput{Role: identity.RoleAgencyAdmin, Email: "truongphong@soxaydung.camau.gov.vn",
		Name: "Trưởng phòng", Password: staffPassword, AgencyCode: officerAg}); err != nil {
		t.Fatal(err)
	}
	admin := e.client(t)
	admin.signIn(adminEmail, staffPassword)
	_, all := admin.get("/console/staff")
	otherID := userID(t, all, otherEmail)

	b := e.client(t)
	b.signIn("truongphong@soxaydung.camau.gov.vn", staffPassword)
	_, page := b.get("/console/staff")
	if !strings.Contains(page, officerEmail) || strings.Contains(page, otherEmail) || strings.Contains(page, adminEmail) {
		t.Fatal("an agency admin's staff page must list their own officers only")
	}
	csrf := hidden(page, "_csrf")
	// Add an officer: the role and agency are forced to their own.
	res, _ := b.do("POST", "/console/staff", url.Values{"_csrf": {csrf}, "name": {"Cán bộ mới"}, "email": {"moi@soxaydung.camau.gov.vn"},
		"password": {"mat-khau-ban-dau-1"}, "role": {"admin"}, "agency_code": {otherAg}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add officer: %d", res.StatusCode)
	}
	u, err := e.store.Identity().FindUser(ctx, identity.LoginKey{Email: "moi@soxaydung.camau.gov.vn"})
	if err != nil || u.Role != identity.RoleOfficer || u.AgencyCode != officerAg {
		t.Fatalf("the new account: %+v %v, want an officer of %s", u, err, officerAg)
	}
	// Reset: shown once, on the response, and the new password works.
	_, page = b.get("/console/staff")
	id := userID(t, page, officerEmail)
	res, body := b.do("POST", "/console/staff/"+id+"/password", url.Values{"_csrf": {csrf}}, nil)
	temp := ""
	if i := strings.Index(body, `id="temp-password">`); i >= 0 {
		rest := body[i+len(`id="temp-password">`):]
		temp = rest[:strings.Index(rest, "<")]
	}
	if res.StatusCode != 200 || len(temp) < 16 || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset: %d, temporary password %q", res.StatusCode, temp)
	}
	if res, _ := e.client(t).signIn(officerEmail, temp); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in with the temporary password: %d", res.StatusCode)
	}
	// Another agency's officer is out of reach.
	for _, path := range []string{"/console/staff/" + otherID + "/password", "/console/staff/" + otherID} {
		res, _ := b.do("POST", path, url.Values{"_csrf": {csrf}, "op": {"disable"}}, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s on another agency's officer: got %d, want 404", path, res.StatusCode)
		}
	}
	if res, _ := b.get("/console/queue"); res.StatusCode != 200 {
		t.Errorf("an agency admin's queue: %d", res.StatusCode)
	}
}

func TestConsole_ReferenceForms(t *testing.T) {
	e := newEnv(t)
	b := e.client(t)
	b.signIn(adminEmail, staffPassword)
	csrf := b.csrf()
	t.Run("an area under an unknown parent is refused, input kept", func(t *testing.T) {
		res, body := b.do("POST", "/console/admin/areas", url.Values{"_csrf": {csrf}, "code": {"xa-moi"}, "name_vi": {"Xã Mới"},
			"level": {"commune"}, "parent_code": {"khong-co"}}, nil)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="Xã Mới"`) || !strings.Contains(body, `class="err"`) {
			t.Fatalf("got %d", res.StatusCode)
		}
		if _, err := e.store.Reference().Areas().Get(context.Background(), "xa-moi"); err == nil {
			t.Fatal("the refused area was stored")
		}
	})
	t.Run("an area form saves what it shows, official code and historical mark included", func(t *testing.T) {
		for _, code := range []string{"phuong-hoa-thanh", "xa-ngoc-hien"} {
			before, err := e.store.Reference().Areas().Get(context.Background(), code)
			if err != nil {
				t.Fatal(err)
			}
			_, page := b.get("/console/admin/areas/" + code)
			form := formValues(page, "ref-form")
			form.Set("_csrf", csrf)
			if res, body := b.do("POST", "/console/admin/areas/"+code, form, nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: saving the unchanged form: %d\n%s", code, res.StatusCode, errorsIn(body))
			}
			after, _ := e.store.Reference().Areas().Get(context.Background(), code)
			if after.OfficialCode != before.OfficialCode || after.Historical != before.Historical || len(after.Boundary) != len(before.Boundary) {
				t.Errorf("%s: the round trip changed the area: official %q→%q, historical %v→%v, boundary %d→%d bytes", code,
					before.OfficialCode, after.OfficialCode, before.Historical, after.Historical, len(before.Boundary), len(after.Boundary))
			}
		}
	})
	t.Run("an agency is edited and deactivated", func(t *testing.T) {
		_, page := b.get("/console/admin/agencies/so-y-te")
		if !strings.Contains(page, `value="Sở Y tế tỉnh Cà Mau"`) {
			t.Fatal("the form does not show the stored name")
		}
		res, _ := b.do("POST", "/console/admin/agencies/so-y-te", url.Values{"_csrf": {csrf}, "name_vi": {"Sở Y tế tỉnh Cà Mau"},
			"name_en": {"Department of Health"}, "kind": {"department"}, "phone": {"0290 3831 234"}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", res.StatusCode)
		}
		var agencies struct {
			Items []struct {
				Code string `json:"code"`
			} `json:"items"`
		}
		e.call(t, "GET", "/v1/agencies", "", nil, &agencies)
		for _, a := range agencies.Items {
			if a.Code == "so-y-te" {
				t.Fatal("an agency saved without 'active' is still listed as active")
			}
		}
	})
	t.Run("a routing rule is added, then deleted", func(t *testing.T) {
		res, _ := b.do("POST", "/console/admin/routing_rules", url.Values{"_csrf": {csrf}, "code": {"r-y-te-an-xuyen"},
			"category_code": {"y-te"}, "area_code": {"phuong-an-xuyen"}, "agency_code": {"so-tu-phap"}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add: %d", res.StatusCode)
		}
		res, _ = b.do("POST", "/console/admin/routing_rule/r-y-te-an-xuyen/delete", url.Values{"_csrf": {csrf}}, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", res.StatusCode)
		}
	})
	t.Run("the calendar form saves what it shows", func(t *testing.T) {
		before, err := e.ref.Export(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		_, page := b.get("/console/admin/calendar")
		form := formValues(page, "calendar-form")
		res, _ := b.do("POST", "/console/admin/calendar", form, nil)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("saving the unchanged form: %d", res.StatusCode)
		}
		after, _ := e.ref.Export(context.Background())
		// Everything survives, sources and provisional years included.
		b1, _ := json.Marshal(before.Calendar)
		b2, _ := json.Marshal(after.Calendar)
		if string(b1) != string(b2) {
			t.Fatalf("the round trip changed the calendar:\nbefore %s\nafter  %s", b1, b2)
		}
		form.Set("hours.monday", "25:00-26:00")
		res, body := b.do("POST", "/console/admin/calendar", form, nil)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "form-error") {
			t.Fatalf("bad hours: %d", res.StatusCode)
		}
	})
	t.Run("the change log names who changed what", func(t *testing.T) {
		_, page := b.get("/console/admin/audit")
		for _, want := range []string{"so-y-te", "r-y-te-an-xuyen", "calendar"} {
			if !strings.Contains(page, want) {
				t.Errorf("the change log does not mention %s", want)
			}
		}
	})
}

// formValues reads the named inputs, textareas and selected options of the
// form with id, the way a browser would submit it (enough for our forms).
func formValues(page, id string) url.Values {
	i := strings.Index(page, `id="`+id+`"`)
	form := page[i : i+strings.Index(page[i:], "</form>")]
	v := url.Values{}
	attr := func(tag, name string) (string, bool) {
		k := strings.Index(tag, " "+name+`="`)
		if k < 0 {
			return "", false
		}
		rest := tag[k+len(name)+3:]
		return rest[:strings.IndexByte(rest, '"')], true
	}
	var selectName string
	for _, part := range strings.Split(form, "<")[1:] {
		tag := part[:strings.IndexByte(part, '>')]
		switch {
		case strings.HasPrefix(tag, "select "):
			selectName, _ = attr(tag, "name")
		case strings.HasPrefix(tag, "option ") && strings.Contains(tag, " selected"):
			val, _ := attr(tag, "value")
			v.Add(selectName, htmlUnescape(val))
		case strings.HasPrefix(tag, "input "):
			name, ok := attr(tag, "name")
			if !ok {
				continue
			}
			val, _ := attr(tag, "value")
			if strings.Contains(tag, `type="checkbox"`) && !strings.Contains(tag, " checked") {
				continue
			}
			v.Add(name, htmlUnescape(val))
		case strings.HasPrefix(tag, "textarea "):
			name, _ := attr(tag, "name")
			v.Add(name, htmlUnescape(part[strings.IndexByte(part, '>')+1:]))
		}
	}
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// An admin moves an officer to another agency; the officer then works that
// agency's queue.
func TestConsole_AdminAssignsRoleAndAgency(t *testing.T) {
	e := newEnv(t)
	admin := e.client(t)
	admin.signIn(adminEmail, staffPassword)
	_, page := admin.get("/console/staff")
	id := userID(t, page, officerEmail)
	res, _ := admin.do("POST", "/console/staff/"+id, url.Values{"_csrf": {admin.csrf()}, "op": {"assign"}, "role": {"officer"}, "agency_code": {otherAg}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign: %d", res.StatusCode)
	}
	u, err := e.store.Identity().GetUser(context.Background(), id)
	if err != nil || u.AgencyCode != otherAg {
		t.Fatalf("after the change the officer belongs to %q (%v), want %s", u.AgencyCode, err, otherAg)
	}
	res, body := admin.do("POST", "/console/staff/"+id, url.Values{"_csrf": {admin.csrf()}, "op": {"assign"}, "role": {"coordinator"}, "agency_code": {otherAg}}, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "error-message") {
		t.Fatalf("a coordinator with an agency: got %d, want 422 with the reason", res.StatusCode)
	}
}

// errorsIn returns the error messages a form page shows.
func errorsIn(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`class="(?:err|form-error)"[^>]*>([^<]*)`).FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}
