package api_test

import (
	"context"
	"net/http"
	"testing"
)

type categoryItem struct {
	Code              string `json:"code"`
	Name              string `json:"name"`
	OutOfScope        bool   `json:"out_of_scope"`
	OutOfScopeMessage string `json:"out_of_scope_message"`
}

func TestListCategories(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		var vi, en struct{ Items []categoryItem }
		r := do(t, env.app, get("/v1/categories"))
		if r.StatusCode != http.StatusOK || r.Header.Get("Content-Language") != "vi" {
			t.Fatalf("got %d, Content-Language %q; want 200 vi", r.StatusCode, r.Header.Get("Content-Language"))
		}
		r.json(t, &vi)
		r = do(t, env.app, get("/v1/categories", "Accept-Language", "en-US,en;q=0.9"))
		if r.Header.Get("Content-Language") != "en" {
			t.Fatalf("Content-Language %q, want en", r.Header.Get("Content-Language"))
		}
		r.json(t, &en)
		if len(vi.Items) != 13 || len(en.Items) != 13 {
			t.Fatalf("got %d/%d categories, want 13", len(vi.Items), len(en.Items))
		}
		byCode := map[string][2]categoryItem{}
		for i := range vi.Items {
			byCode[vi.Items[i].Code] = [2]categoryItem{vi.Items[i], en.Items[i]}
		}
		water := byCode["cap-thoat-nuoc"]
		if water[0].Name != "Cấp thoát nước" || water[1].Name == water[0].Name || water[1].Name == "" {
			t.Errorf("cap-thoat-nuoc: vi %q, en %q; want Cấp thoát nước and an English name", water[0].Name, water[1].Name)
		}
		tthc := byCode["thu-tuc-hanh-chinh"]
		if !tthc[0].OutOfScope || tthc[0].OutOfScopeMessage == "" || tthc[1].OutOfScopeMessage == tthc[0].OutOfScopeMessage {
			t.Errorf("thu-tuc-hanh-chinh: want out of scope with a message in each language, got %+v", tthc)
		}
	})
}

func TestListAgencies(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		var out struct {
			Items []struct{ Code, Name, Kind string }
		}
		do(t, env.app, get("/v1/agencies")).json(t, &out)
		found := false
		for _, a := range out.Items {
			found = found || a.Kind == "coordinator"
		}
		if !found || len(out.Items) < 10 {
			t.Fatalf("got %d agencies (coordinator listed: %v), want at least 10 and a coordinator", len(out.Items), found)
		}
		// An agency switched off disappears from the public list.
		ctx := context.Background()
		ag, err := env.store.Reference().Agencies().Get(ctx, out.Items[0].Code)
		if err != nil {
			t.Fatal(err)
		}
		ag.Active = false
		if err := env.store.Reference().Agencies().Update(ctx, ag); err != nil {
			t.Fatal(err)
		}
		var after struct{ Items []struct{ Code string } }
		do(t, env.app, get("/v1/agencies")).json(t, &after)
		if len(after.Items) != len(out.Items)-1 {
			t.Fatalf("after deactivating %s: got %d agencies, want %d", ag.Code, len(after.Items), len(out.Items)-1)
		}
	})
}

func TestListAreas(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		type area struct{ Code, Name, Level, ParentCode string }
		var all, children struct{ Items []area }
		do(t, env.app, get("/v1/areas")).json(t, &all)
		do(t, env.app, get("/v1/areas?parent=ca-mau", "Accept-Language", "en")).json(t, &children)
		if len(children.Items) < 10 || len(all.Items) != len(children.Items)+1 {
			t.Fatalf("got %d areas and %d under ca-mau, want the province plus at least 10 under it", len(all.Items), len(children.Items))
		}
		var leaf struct{ Items []area }
		do(t, env.app, get("/v1/areas?parent="+children.Items[0].Code)).json(t, &leaf)
		if len(leaf.Items) != 0 {
			t.Fatalf("a ward has %d children, want 0", len(leaf.Items))
		}

		p := wantProblem(t, do(t, env.app, get("/v1/areas?parent=quan-1", "Accept-Language", "en")), http.StatusNotFound)
		if p.Detail != "parent area not found" {
			t.Errorf("detail %q, want the English message", p.Detail)
		}
		p = wantProblem(t, do(t, env.app, get("/v1/areas?parent=quan-1")), http.StatusNotFound)
		if p.Detail != "Không tìm thấy đơn vị hành chính cha" {
			t.Errorf("detail %q, want the Vietnamese message", p.Detail)
		}
	})
}
