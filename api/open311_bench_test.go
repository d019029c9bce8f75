package api_test

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"testing"

	"camaug/feedback"
	"camaug/internal/identity"
)

// BenchmarkOpen311Requests_SQLite drives GET /open311/v2/requests.json
// through the real app on a loopback listener, over CAMAUG_BENCH_REPORTS
// published reports (1000 by default) in the 90-day window: "newest" reads
// the first page (50); "closed" asks for a status none has (the store
// filters); "two_codes" asks for two services none has, so every call walks
// the whole window, the worst case of the filters done in Go.
//
//	go test ./api -run '^$' -bench Open311Requests -benchtime 200x
func BenchmarkOpen311Requests_SQLite(b *testing.B) {
	env, base := benchServer(b)
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("CAMAUG_BENCH_REPORTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	guest := identity.Principal{UserID: "bench-guest", Role: identity.RoleGuest}
	coord := identity.Principal{UserID: "bench-coordinator", Role: identity.RoleCoordinator}
	for i := 0; i < n; i++ {
		loc := feedback.Point{Lat: 9.1769, Lng: 105.1524}
		r, _, err := env.reports.Submit(ctx, guest, feedback.SubmitInput{CategoryCode: "cap-thoat-nuoc", Location: &loc,
			Description: "Cống thoát nước bị tắc, lần " + strconv.Itoa(i)}, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := env.reports.Transition(ctx, coord, r.ID, feedback.TransitionInput{Action: feedback.ActDispatch}); err != nil {
			b.Fatal(err)
		}
	}
	for _, c := range []struct{ name, query string }{{"newest", ""}, {"closed", "?status=closed"}, {"two_codes", "?service_code=y-te,giao-duc"}} {
		b.Run(c.name, func(b *testing.B) {
			drive(b, benchClients(), "requests/s", http.StatusOK, func(int, int64) *http.Request {
				req, _ := http.NewRequest("GET", base+"/open311/v2/requests.json"+c.query, nil)
				return req
			})
		})
	}
}
