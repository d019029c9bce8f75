package api_test

import (
	"net/http"
	"testing"
	"time"
)

// handled is the part of a report the staff console checks after a step.
type handled struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Deadlines struct {
		ResolutionDue time.Time `json:"resolution_due"`
	} `json:"deadlines"`
}

// TestRefuseExtension: the agency asks for more time, the coordinator
// refuses with a reason; the deadline stands, the history says why, and
// the agency may ask again.
func TestRefuseExtension(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		at(env, "2026-03-03 09:00")
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		coord := staff(t, env, "coordinator", "dieuphoi@camau.gov.vn", "")
		water := staff(t, env, "officer", "canbo@capnuoc.camau.gov.vn", "cap-nuoc-ca-mau")
		var rep reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		move := func(token string, body map[string]any, want int) handled {
			t.Helper()
			r := do(t, env.app, req("POST", "/v1/reports/"+rep.ID+"/transitions", token, body, "Accept-Language", "en"))
			if r.StatusCode != want {
				t.Fatalf("%v: got %d, want %d; %s", body["action"], r.StatusCode, want, r.body)
			}
			var out handled
			if want == http.StatusOK {
				r.json(t, &out)
			}
			return out
		}
		move(coord.AccessToken, map[string]any{"action": "dispatch"}, http.StatusOK)
		accepted := move(water.AccessToken, map[string]any{"action": "accept"}, http.StatusOK)
		move(coord.AccessToken, map[string]any{"action": "refuse_extension", "note": "không có yêu cầu"}, http.StatusConflict)
		later := accepted.Deadlines.ResolutionDue.Add(72 * time.Hour)
		move(water.AccessToken, map[string]any{"action": "request_extension", "note": "chờ vật tư thay thế", "due_at": later}, http.StatusOK)
		move(water.AccessToken, map[string]any{"action": "refuse_extension", "note": "tự từ chối"}, http.StatusConflict)
		move(coord.AccessToken, map[string]any{"action": "refuse_extension"}, http.StatusUnprocessableEntity)
		got := move(coord.AccessToken, map[string]any{"action": "refuse_extension", "note": "Vật tư có sẵn tại kho, không gia hạn"}, http.StatusOK)
		if got.Status != "accepted" || !got.Deadlines.ResolutionDue.Equal(accepted.Deadlines.ResolutionDue) {
			t.Fatalf("after refusal: %s, resolution due %v; want accepted, %v", got.Status, got.Deadlines.ResolutionDue, accepted.Deadlines.ResolutionDue)
		}
		move(coord.AccessToken, map[string]any{"action": "approve_extension"}, http.StatusConflict) // nothing pending any more

		var hist struct {
			Items []struct {
				Action string `json:"action"`
				Note   string `json:"note"`
			} `json:"items"`
		}
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID+"/history", water.AccessToken, nil)).json(t, &hist)
		last := hist.Items[len(hist.Items)-1]
		if last.Action != "refuse_extension" || last.Note != "Vật tư có sẵn tại kho, không gia hạn" {
			t.Fatalf("last event %+v, want refuse_extension with the reason", last)
		}
		move(water.AccessToken, map[string]any{"action": "request_extension", "note": "chờ vật tư lần hai", "due_at": later}, http.StatusOK)
	})
}
