package api_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"camaug/feedback"
)

// TestHandlingStory: a citizen reports, the coordinator dispatches, the
// wrong agency can neither see nor touch it, the right one accepts and
// transfers, the new one resolves; the history tells the story without
// naming staff accounts to the citizen.
func TestHandlingStory(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		health := staff(t, env, "officer", "canbo@soyte.camau.gov.vn", "so-y-te")
		build := staff(t, env, "officer", "canbo@soxaydung.camau.gov.vn", "so-xay-dung")
		move := func(token, action string, extra map[string]string, want int) reportResp {
			t.Helper()
			body := map[string]string{"action": action}
			for k, v := range extra {
				body[k] = v
			}
			r := do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", token, body, "Accept-Language", "en"))
			if r.StatusCode != want {
				t.Fatalf("%s: got %d, want %d; %s", action, r.StatusCode, want, r.body)
			}
			var out reportResp
			if want == http.StatusOK {
				r.json(t, &out)
			}
			return out
		}
		// The agency cannot accept before dispatch: 409 listing what it may do.
		r := do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", water.AccessToken, map[string]string{"action": "accept"}, "Accept-Language", "en"))
		p := wantProblem(t, r, http.StatusConflict)
		if len(p.Errors) != 1 || p.Errors[0].Field != "action" || !strings.Contains(p.Errors[0].Message, "allowed") {
			t.Fatalf("409 without the allowed actions: %+v", p)
		}
		if got := move(coord.AccessToken, "dispatch", nil, 200); got.Status != "dispatched" {
			t.Fatalf("dispatch: %+v", got)
		}
		// The wrong agency: not visible, not touchable.
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+rep.ID, health.AccessToken, nil)), http.StatusNotFound)
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", health.AccessToken, map[string]string{"action": "accept"})), http.StatusNotFound)
		move(water.AccessToken, "accept", nil, 200)
		move(water.AccessToken, "transfer", map[string]string{"to_agency_code": "so-xay-dung", "note": "hư hỏng mặt đường"}, 200)
		wantProblem(t, do(t, env.app, req("GET", "/v1/reports/"+rep.ID, water.AccessToken, nil)), http.StatusNotFound)
		move(build.AccessToken, "accept", nil, 200)
		move(build.AccessToken, "resolve", nil, 422) // an answer is required
		done := move(build.AccessToken, "resolve", map[string]string{"note": "Đã vá mặt đường và nạo vét cống."}, 200)
		if done.Status != "resolved" || done.Agency.Code != "so-xay-dung" {
			t.Fatalf("resolved: %+v", done)
		}
		var mine struct {
			Answer string `json:"answer"`
		}
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, cit.AccessToken, nil)).json(t, &mine)
		if mine.Answer == "" {
			t.Fatal("the citizen does not see the answer")
		}

		// History: the whole story; staff account IDs only for staff.
		var hist struct {
			Items []struct {
				Action, FromStatus, ToStatus, ActorRole, ActorID string
			} `json:"items"`
		}
		hr := do(t, env.app, req("GET", "/v1/reports/"+rep.ID+"/history", cit.AccessToken, nil))
		hr.json(t, &hist)
		var acts []string
		for _, e := range hist.Items {
			acts = append(acts, e.Action)
		}
		if strings.Join(acts, ",") != "dispatch,accept,transfer,accept,resolve" {
			t.Fatalf("history %v", acts)
		}
		if bytes.Contains(hr.body, []byte("actor_id")) || bytes.Contains(hr.body, []byte("camau.gov.vn")) {
			t.Fatalf("the citizen sees staff accounts in the history: %s", hr.body)
		}
		sr := do(t, env.app, req("GET", "/v1/reports/"+rep.ID+"/history", coord.AccessToken, nil))
		if !bytes.Contains(sr.body, []byte("actor_id")) {
			t.Fatal("staff do not see who acted")
		}
		// The reporter reopens; a stranger cannot.
		other := registerCitizen(t, env, "0987654321", "nguoi-khac-2026")
		wantProblem(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", other.AccessToken, map[string]string{"action": "reopen", "note": "vẫn ngập"})), http.StatusNotFound)
		if got := move(cit.AccessToken, "reopen", map[string]string{"note": "vẫn còn ngập sau mưa"}, 200); got.Status != "in_progress" {
			t.Fatalf("reopen: %+v", got)
		}
	})
}

func TestRatingAndOverdue(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00") // Tuesday
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		rate := func(token string, body any) response {
			return do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/rating", token, body))
		}
		overdue := func() map[string]bool {
			var out struct {
				Overdue map[string]bool `json:"overdue"`
			}
			tok := loginAs(t, env, "dieuphoi@camau.gov.vn", "mat-khau-an-toan") // the clock moves; tokens expire
			r := do(t, env.app, req("GET", "/v1/reports/"+rep.ID, tok.AccessToken, nil))
			wantStatus(t, r, http.StatusOK)
			r.json(t, &out)
			return out.Overdue
		}
		if o := overdue(); o["dispatch"] || o["response"] {
			t.Fatalf("fresh report overdue: %v", o)
		}
		// Dispatch is due 11:00; at 11:30 (still not dispatched) it is overdue.
		at(env, "2026-03-03 11:30")
		if o := overdue(); !o["dispatch"] || o["resolution"] {
			t.Fatalf("at 11:30: %v, want dispatch overdue only", o)
		}
		// Rating before resolution: 409.
		cit = registered{tokens: loginAs(t, env, "0912345678", "bao-cao-2026")}
		coord = loginAs(t, env, "dieuphoi@camau.gov.vn", "mat-khau-an-toan")
		water = loginAs(t, env, "canbo@capnuoc.camau.gov.vn", "mat-khau-an-toan")
		wantProblem(t, rate(cit.AccessToken, map[string]any{"score": 5}), http.StatusConflict)
		for _, a := range []struct{ tok, action, note string }{
			{coord.AccessToken, "dispatch", ""}, {water.AccessToken, "accept", ""}, {water.AccessToken, "resolve", "Đã khơi thông cống thoát nước."},
		} {
			body := map[string]string{"action": a.action}
			if a.note != "" {
				body["note"] = a.note
			}
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", a.tok, body)), http.StatusOK)
		}
		if o := overdue(); o["dispatch"] || o["response"] || o["resolution"] {
			t.Fatalf("a resolved report is overdue: %v", o)
		}
		p := wantProblem(t, rate(cit.AccessToken, map[string]any{"score": 9}), http.StatusUnprocessableEntity)
		if p.Errors[0].Field != "score" {
			t.Fatalf("bad score: %+v", p.Errors)
		}
		r := rate(cit.AccessToken, map[string]any{"score": 2, "comment": "Xử lý chậm"})
		wantStatus(t, r, http.StatusOK)
		var st struct{ Status string }
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, cit.AccessToken, nil)).json(t, &st)
		if st.Status != "closed" {
			t.Fatalf("after rating the report is %s, want closed", st.Status)
		}
		// Editable for 7 days, by the reporter only.
		at(env, "2026-03-06 09:00")
		fresh := loginAs(t, env, "0912345678", "bao-cao-2026")
		var got struct{ Score int }
		rate(fresh.AccessToken, map[string]any{"score": 4, "comment": "Sau đó đã làm tốt"}).json(t, &got)
		if got.Score != 4 {
			t.Fatalf("edited score %d, want 4", got.Score)
		}
		water = loginAs(t, env, "canbo@capnuoc.camau.gov.vn", "mat-khau-an-toan")
		wantProblem(t, rate(water.AccessToken, map[string]any{"score": 5}), http.StatusForbidden) // staff see it but only the reporter rates
		at(env, "2026-03-12 09:00")
		late := loginAs(t, env, "0912345678", "bao-cao-2026")
		wantProblem(t, rate(late.AccessToken, map[string]any{"score": 5}), http.StatusConflict)
	})
}

func TestAgencyQueue(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var ids []string
		for i, cat := range []string{"cap-thoat-nuoc", "cap-thoat-nuoc", "an-ninh-trat-tu"} {
			body := validReport()
			body["category_code"] = cat
			if i == 1 {
				body["category_code"], body["urgent"] = "cap-thoat-nuoc", true
			}
			var r reportResp
			do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body)).json(t, &r)
			ids = append(ids, r.ID)
		}
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		var page struct {
			Items []struct {
				ID     string `json:"id"`
				Urgent bool   `json:"urgent"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		do(t, env.app, req("GET", "/v1/agency/reports", water.AccessToken, nil)).json(t, &page)
		if len(page.Items) != 2 || page.Items[0].ID != ids[1] || !page.Items[0].Urgent {
			t.Fatalf("water queue: %+v, want the urgent water report first and no police report", page.Items)
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/agency/reports?agency_code=cong-an-tinh", water.AccessToken, nil)), http.StatusForbidden)
		do(t, env.app, req("GET", "/v1/agency/reports?limit=2", coord.AccessToken, nil)).json(t, &page)
		if len(page.Items) != 2 || page.NextCursor == nil {
			t.Fatalf("coordinator page 1: %d items, cursor %v", len(page.Items), page.NextCursor)
		}
		first := append(page.Items[:0:0], page.Items...)
		do(t, env.app, req("GET", "/v1/agency/reports?limit=2&cursor="+*page.NextCursor, coord.AccessToken, nil)).json(t, &page)
		if len(page.Items) != 1 || page.Items[0].ID == first[0].ID || page.Items[0].ID == first[1].ID {
			t.Fatalf("coordinator page 2: %+v", page.Items)
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/agency/reports", cit.AccessToken, nil)), http.StatusForbidden)
		// Overdue: at 11:30 the unurgent reports have missed dispatch (due 11:00).
		at(env, "2026-03-03 11:30")
		tok := loginAs(t, env, "dieuphoi@camau.gov.vn", "mat-khau-an-toan")
		do(t, env.app, req("GET", "/v1/agency/reports?overdue=true", tok.AccessToken, nil)).json(t, &page)
		if len(page.Items) == 0 {
			t.Fatal("nothing overdue at 11:30")
		}
		wantProblem(t, do(t, env.app, req("GET", "/v1/agency/reports?status=lost", tok.AccessToken, nil)), http.StatusUnprocessableEntity)
	})
}

func TestPublicFeed(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		post := func(cat, title, desc string) string {
			body := validReport()
			body["category_code"], body["title"], body["description"] = cat, title, desc
			var r reportResp
			do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, body)).json(t, &r)
			return r.ID
		}
		flood := post("cap-thoat-nuoc", "Ngập nước đường Trần Hưng Đạo", "Nước ngập sâu sau cơn mưa chiều nay.")
		light := post("dien-chieu-sang", "Đèn đường hỏng", "Cả dãy đèn trên đường Lý Thường Kiệt không sáng.")
		hidden := post("cap-thoat-nuoc", "Chưa duyệt", "Phản ánh này chưa được điều phối tiếp nhận.")
		for _, id := range []string{flood, light} {
			wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+id+"/transitions", coord.AccessToken, map[string]string{"action": "dispatch"})), http.StatusOK)
		}
		type feed struct {
			Items []map[string]any `json:"items"`
		}
		ids := func(path string) []string {
			var f feed
			r := do(t, env.app, get(path))
			wantStatus(t, r, http.StatusOK)
			r.json(t, &f)
			var out []string
			for _, it := range f.Items {
				out = append(out, it["id"].(string))
				for _, k := range []string{"contact_phone", "reporter_id", "anonymous", "phone", "email"} {
					if _, ok := it[k]; ok {
						t.Fatalf("public item carries %s", k)
					}
				}
			}
			return out
		}
		all := ids("/v1/reports")
		if len(all) != 2 || all[0] != light || all[1] != flood {
			t.Fatalf("feed %v, want the two dispatched reports newest first (not %s)", all, hidden)
		}
		for q, want := range map[string]string{"ngap%20nuoc": flood, "NGẬP": flood, "duong%20ly%20thuong": light, "đèn": light, "den": light} {
			if got := ids("/v1/reports?q=" + q); len(got) != 1 || got[0] != want {
				t.Errorf("q=%s: got %v, want %s", q, got, want)
			}
		}
		if got := ids("/v1/reports?q=kh%C3%B4ng%20c%C3%B3%20g%C3%AC"); len(got) != 0 {
			t.Errorf("nonsense query found %v", got)
		}
		if got := ids("/v1/reports?category_code=dien-chieu-sang"); len(got) != 1 || got[0] != light {
			t.Errorf("category filter: %v", got)
		}
		if got := ids("/v1/reports?bbox=105.0,9.0,105.3,9.3"); len(got) != 2 {
			t.Errorf("bbox around Cà Mau city: %v", got)
		}
		if got := ids("/v1/reports?bbox=105.6,9.2,105.8,9.4"); len(got) != 0 {
			t.Errorf("bbox around Bạc Liêu: %v", got)
		}
		for _, q := range []string{"", "&q=duong"} { // paging, with and without search
			var p1, p2 struct {
				Items      []struct{ ID string } `json:"items"`
				NextCursor *string               `json:"next_cursor"`
			}
			do(t, env.app, get("/v1/reports?limit=1"+q)).json(t, &p1)
			if len(p1.Items) != 1 || p1.NextCursor == nil {
				t.Fatalf("page 1%s: %+v", q, p1)
			}
			do(t, env.app, get("/v1/reports?limit=1"+q+"&cursor="+*p1.NextCursor)).json(t, &p2)
			if len(p2.Items) != 1 || p2.Items[0].ID == p1.Items[0].ID {
				t.Fatalf("page 2%s: %+v after %+v", q, p2, p1)
			}
		}
		wantProblem(t, do(t, env.app, get("/v1/reports?cursor=bm90LWEtY3Vyc29y")), http.StatusUnprocessableEntity)
		var onTime struct {
			Items []struct {
				OnTime map[string]*bool `json:"on_time"`
			} `json:"items"`
		}
		do(t, env.app, get("/v1/reports?category_code=dien-chieu-sang")).json(t, &onTime)
		if ot := onTime.Items[0].OnTime; ot["dispatch"] == nil || !*ot["dispatch"] || ot["response"] != nil || ot["resolution"] != nil {
			t.Errorf("on_time after a prompt dispatch: %v", ot)
		}
		wantProblem(t, do(t, env.app, get("/v1/reports?status=submitted")), http.StatusUnprocessableEntity)
		wantProblem(t, do(t, env.app, get("/v1/reports?bbox=1,2,3")), http.StatusUnprocessableEntity)
	})
}

func TestPublicGeoJSON(t *testing.T) {
	env := newEnv(t, "sqlite")
	cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
	coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
	var rep reportResp
	do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
	wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", coord.AccessToken, map[string]string{"action": "dispatch"})), http.StatusOK)
	r := do(t, env.app, get("/v1/reports.geojson"))
	if r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("got %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	var fc struct {
		Type     string
		Features []struct {
			ID       string
			Geometry struct {
				Type        string
				Coordinates []float64
			}
			Properties map[string]any
		}
	}
	r.json(t, &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) != 1 || fc.Features[0].ID != rep.ID ||
		fc.Features[0].Geometry.Coordinates[0] != 105.1524 || fc.Features[0].Geometry.Coordinates[1] != 9.1769 {
		t.Fatalf("got %+v", fc)
	}
	if _, ok := fc.Features[0].Properties["contact_phone"]; ok || bytes.Contains(r.body, []byte("912345678")) {
		t.Fatal("the map leaks the reporter's phone")
	}
	wantProblem(t, do(t, env.app, get("/v1/reports.geojson?bbox=x")), http.StatusUnprocessableEntity)
}

func TestAutoClose(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		var ids []string
		for i := 0; i < 2; i++ {
			var rep reportResp
			do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
			ids = append(ids, rep.ID)
			for _, a := range []struct{ tok, action, note string }{
				{coord.AccessToken, "dispatch", ""}, {water.AccessToken, "accept", ""}, {water.AccessToken, "resolve", "Đã khơi thông cống."},
			} {
				body := map[string]string{"action": a.action}
				if a.note != "" {
					body["note"] = a.note
				}
				wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", a.tok, body)), http.StatusOK)
			}
		}
		ctx := context.Background()
		if n, err := env.reports.CloseResolved(ctx); err != nil || n != 0 {
			t.Fatalf("right after resolution: closed %d, %v; want 0", n, err)
		}
		// The reporter reopens one; after 8 days only the other is closed.
		wantStatus(t, do(t, env.app, req("POST", "/v1/reports/"+ids[1]+"/transitions", cit.AccessToken,
			map[string]string{"action": "reopen", "note": "vẫn còn ngập"})), http.StatusOK)
		at(env, "2026-03-11 09:00")
		if n, err := env.reports.CloseResolved(ctx); err != nil || n != 1 {
			t.Fatalf("after 8 days: closed %d, %v; want 1", n, err)
		}
		for i, want := range []feedback.Status{feedback.StatusClosed, feedback.StatusInProgress} {
			r, err := env.store.Reports().GetReport(ctx, ids[i])
			if err != nil || r.Status != want {
				t.Fatalf("report %d: %v, %v; want %s", i, r.Status, err, want)
			}
		}
		// The history says the service closed it, not an administrator.
		var hist struct {
			Items []struct {
				Action    string
				ActorRole string `json:"actor_role"`
				ActorID   string `json:"actor_id"`
			} `json:"items"`
		}
		hr := do(t, env.app, req("GET", "/v1/reports/"+ids[0]+"/history", loginAs(t, env, "0912345678", "bao-cao-2026").AccessToken, nil))
		wantStatus(t, hr, http.StatusOK)
		hr.json(t, &hist)
		if last := hist.Items[len(hist.Items)-1]; last.Action != "close" || last.ActorRole != "system" || last.ActorID != "" {
			t.Fatalf("close event %+v", last)
		}
	})
}
