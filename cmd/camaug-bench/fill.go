package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"camaug/feedback"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

// cityCentre is Cà Mau's centre: 30% of generated reports fall within
// about 5 km of it, the rest anywhere in the province.
var cityCentre = feedback.Point{Lat: 9.1769, Lng: 105.1524}

// statusMix is a service in steady state: most reports closed, a few
// percent open at each step, some rejected.
var statusMix = []struct {
	status feedback.Status
	weight int
}{
	{feedback.StatusClosed, 60}, {feedback.StatusResolved, 8}, {feedback.StatusInProgress, 4}, {feedback.StatusAccepted, 3},
	{feedback.StatusDispatched, 5}, {feedback.StatusSubmitted, 4}, {feedback.StatusRejected, 16},
}

var titles = []string{"Ngập nước sau mưa", "Đèn đường hỏng", "Rác thải ùn ứ", "Ổ gà trên đường", "Cống bị tắc", "Lấn chiếm vỉa hè",
	"Cây xanh gãy đổ", "Nước sinh hoạt đục", "Tiếng ồn ban đêm", "Biển báo bị mất", "Chèo kéo khách du lịch", "Trạm y tế đóng cửa"}

// world is the reference data and accounts the generated reports use.
type world struct {
	categories []feedback.Category // in scope only
	areas      []string            // commune level
	citizenID  string              // the bench citizen: one report in a thousand is theirs
	start, end time.Time           // reports are spread over this span
}

// skewed picks an index in [0, n) with a skew towards the first ones, as
// real categories and communes are (a few busy, a long tail).
func skewed(rng *rand.Rand, n int) int {
	x := rng.Float64()
	return int(x * x * float64(n))
}

// trackingCode makes the i-th unique tracking code: i times an odd prime
// modulo 29^8 is a bijection, so codes never clash (random ones would at a
// million reports) yet do not look sequential.
func trackingCode(i int) string {
	const alphabet = "23456789ABCDEFGHJKMNPQRSTWXYZ"
	const space = 29 * 29 * 29 * 29 * 29 * 29 * 29 * 29
	v := (uint64(i) * 1_000_003) % space
	var b [8]byte
	for k := 7; k >= 0; k-- {
		b[k] = alphabet[v%29]
		v /= 29
	}
	return "CM-" + string(b[:4]) + "-" + string(b[4:])
}

// report makes the i-th of n reports.
func (w *world) report(rng *rand.Rand, i, n int) feedback.Report {
	var p feedback.Point
	if rng.Float64() < 0.3 {
		p = feedback.Point{Lat: cityCentre.Lat + (rng.Float64()-0.5)*0.09, Lng: cityCentre.Lng + (rng.Float64()-0.5)*0.09}
	} else {
		p = feedback.Point{Lat: 8.6 + rng.Float64()*1.0, Lng: 104.8 + rng.Float64()*1.0}
	}
	cat := w.categories[skewed(rng, len(w.categories))]
	created := w.start.Add(time.Duration(float64(w.end.Sub(w.start)) * float64(i) / float64(n))).Truncate(time.Millisecond)
	reporter := fmt.Sprintf("bench-reporter-%d", rng.IntN(max(10, n/10)))
	if i%1000 == 7 {
		reporter = w.citizenID
	}
	pick := rng.IntN(100)
	status := statusMix[0].status
	for _, s := range statusMix {
		if pick < s.weight {
			status = s.status
			break
		}
		pick -= s.weight
	}
	title := titles[rng.IntN(len(titles))]
	r := feedback.Report{ID: ids.At(created), TrackingCode: trackingCode(i), ReporterID: reporter, Anonymous: rng.IntN(4) > 0,
		CategoryCode: cat.Code, AreaCode: w.areas[skewed(rng, len(w.areas))], AgencyCode: cat.DefaultAgencyCode,
		RoutingRule: "default", RoutingReason: i18n.T("Đơn vị mặc định của lĩnh vực", "the category's default agency"),
		Title: title, Description: title + ": người dân phản ánh tại khu vực, đề nghị cơ quan chức năng kiểm tra, xử lý.",
		Location: p, Cell: feedback.Geohash(p, 7), Urgent: rng.IntN(20) == 0, Locale: i18n.VI, Status: status,
		Deadlines: feedback.Deadlines{DispatchDue: created.Add(2 * time.Hour), ResponseDue: created.Add(6 * time.Hour),
			ResolutionDue: created.Add(10 * 24 * time.Hour)},
		CreatedAt: created, UpdatedAt: created}
	if status != feedback.StatusSubmitted && status != feedback.StatusRejected {
		t := created.Add(time.Hour)
		r.DispatchedAt = &t
	}
	switch status {
	case feedback.StatusAccepted, feedback.StatusInProgress, feedback.StatusResolved, feedback.StatusClosed:
		t := created.Add(3 * time.Hour)
		r.RespondedAt = &t
	case feedback.StatusRejected:
		r.RejectReason = "Không thuộc phạm vi tiếp nhận"
	}
	if status == feedback.StatusResolved || status == feedback.StatusClosed {
		t := created.Add(4 * 24 * time.Hour)
		r.ResolvedAt, r.Answer = &t, "Đã xử lý xong, cảm ơn người dân đã phản ánh."
	}
	return r
}

// fill stores n generated reports through the store's bulk path, in
// batches, shows each report to seen and calls progress after each batch.
func fill(ctx context.Context, bulk feedback.BulkReportStore, w *world, n, batch int, seen func(*feedback.Report), progress func(done int)) error {
	rng := rand.New(rand.NewPCG(13, 2026))
	buf := make([]feedback.Report, 0, batch)
	for done := 0; done < n; {
		buf = buf[:0]
		for k := 0; k < batch && done+k < n; k++ {
			buf = append(buf, w.report(rng, done+k, n))
			seen(&buf[len(buf)-1])
		}
		if err := bulk.CreateReports(ctx, buf); err != nil {
			return fmt.Errorf("filling reports %d–%d: %w", done, done+len(buf), err)
		}
		done += len(buf)
		progress(done)
	}
	return nil
}
