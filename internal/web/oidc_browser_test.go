package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"camaug/internal/identity"
)

// An officer signs in through the province's provider in a real browser
// and lands in their agency's queue; a person whose groups are mapped to
// nothing gets the refusal page.
func TestBrowser_ProvinceAccountSignIn(t *testing.T) {
	o := newOIDCEnv(t)
	ctx := browser(t)
	providerLogin := func(subject string) {
		t.Helper()
		run(t, ctx,
			chromedp.Navigate(o.base+"/console/login"),
			chromedp.WaitVisible(`#oidc-signin`, chromedp.ByQuery),
			chromedp.Click(`#oidc-signin`, chromedp.ByQuery),
			chromedp.WaitVisible(`#username`, chromedp.ByQuery), // the provider's own login page
			chromedp.SendKeys(`#username`, subject, chromedp.ByQuery),
			chromedp.Click(`#sign-in`, chromedp.ByQuery),
		)
	}
	providerLogin("lan")
	var loc string
	run(t, ctx, chromedp.WaitVisible(`#signout`, chromedp.ByQuery), chromedp.Location(&loc))
	if !strings.HasSuffix(loc, "/console/queue") {
		t.Fatalf("after the provider's login: at %s, want the queue", loc)
	}
	if who := textOf(t, ctx, `.who .role`); !strings.Contains(who, officerAg) {
		t.Fatalf("the header reads %q, want the officer's agency %s", who, officerAg)
	}
	// Signing out offers the provider's sign-out too.
	run(t, ctx, chromedp.Click(`#signout`, chromedp.ByQuery), chromedp.WaitVisible(`#oidc-endsession`, chromedp.ByQuery))

	providerLogin("khach")
	run(t, ctx, chromedp.WaitVisible(`#error-message`, chromedp.ByQuery))
	if msg := textOf(t, ctx, `#error-message`); !strings.Contains(msg, "chưa được ánh xạ") {
		t.Fatalf("refusal page reads %q", msg)
	}
	if n := countOf(t, ctx, `#signout`); n != 0 {
		t.Fatal("the refused person is signed in")
	}
}

func countOf(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	var n int
	run(t, ctx, chromedp.Evaluate(`document.querySelectorAll(`+"`"+sel+"`"+`).length`, &n))
	return n
}

// The admin adds a mapping and changes its role on the console page; the
// next sign-in through the provider follows it.
func TestBrowser_AdminEditsGroupMapping(t *testing.T) {
	o := newOIDCEnv(t)
	ctx := browser(t)
	signInBrowser(t, ctx, o.env, adminEmail)
	run(t, ctx,
		chromedp.Navigate(o.base+"/console/admin/oidc"),
		chromedp.WaitVisible(`#g-new`, chromedp.ByQuery),
		chromedp.SendKeys(`#g-new`, "thong-ke", chromedp.ByQuery),
		chromedp.SetValue(`#r-new`, string(identity.RoleAnalyst), chromedp.ByQuery),
		chromedp.Click(`#mapping-add-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
	)
	var id string
	run(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll('#mappings tr[data-id]')].find(r => r.querySelector('.group').textContent === 'thong-ke').dataset.id`, &id))
	row := `#mappings tr[data-id="` + id + `"]`
	run(t, ctx,
		chromedp.Navigate(o.base+"/console/admin/oidc"), // the flash shown once is gone
		chromedp.WaitVisible(row+` summary`, chromedp.ByQuery),
		chromedp.Click(row+` summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#r-`+id, chromedp.ByQuery),
		chromedp.SetValue(`#r-`+id, string(identity.RoleCoordinator), chromedp.ByQuery),
		chromedp.Click(row+` form.stack button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.flash`, chromedp.ByQuery),
	)
	if role := textOf(t, ctx, row+` .role`); role != "Điều phối viên" {
		t.Fatalf("the edited mapping's role reads %q, want Điều phối viên", role)
	}
	// An officer role without an agency is refused beside the field.
	run(t, ctx,
		chromedp.SendKeys(`#g-new`, "thieu-co-quan", chromedp.ByQuery),
		chromedp.SetValue(`#r-new`, string(identity.RoleOfficer), chromedp.ByQuery),
		chromedp.Click(`#mapping-add-submit`, chromedp.ByQuery),
		chromedp.WaitVisible(`#mapping-add .err`, chromedp.ByQuery),
	)
	list, err := o.ids.GroupMappings(context.Background(), identity.Principal{UserID: "x", Role: identity.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]identity.Role{}
	for _, m := range list {
		got[m.Group] = m.Role
	}
	if got["thong-ke"] != identity.RoleCoordinator || len(got) != 4 {
		t.Fatalf("stored mappings: %v", got)
	}
}
