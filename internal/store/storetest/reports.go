package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/ids"
)

func runReports(t *testing.T, newStores func(t *testing.T) Stores) {
	t.Run("CreateGet", func(t *testing.T) { testReportCreateGet(t, newStores(t).Reports) })
	t.Run("Idempotency", func(t *testing.T) { testIdempotency(t, newStores(t).Reports) })
	t.Run("Submit", func(t *testing.T) { runSubmit(t, newStores) }) // submit.go
	t.Run("IdempotencyExpiry", func(t *testing.T) { testIdempotencyExpiry(t, newStores(t).Reports) })
	t.Run("ExpiryOnRead", func(t *testing.T) { testExpiryOnRead(t, newStores(t).Identity) })
	t.Run("ListByReporter", func(t *testing.T) { testListByReporter(t, newStores(t).Reports) })
	t.Run("Nearby", func(t *testing.T) { testNearby(t, newStores(t).Reports) })
	t.Run("Support", func(t *testing.T) { testSupport(t, newStores(t).Reports) })
	t.Run("Media", func(t *testing.T) { s := newStores(t); testMedia(t, s.Media) })
	t.Run("Transition", func(t *testing.T) { testTransition(t, newStores(t).Reports) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, newStores(t).Reports) })
	t.Run("Facts", func(t *testing.T) { testFacts(t, newStores(t)) })
	t.Run("Ratings", func(t *testing.T) { testRatings(t, newStores(t).Ratings) })
	t.Run("Queue", func(t *testing.T) { testQueue(t, newStores(t).Reports) })
	t.Run("QueueFilters", func(t *testing.T) { testQueueFilters(t, newStores(t).Reports) })
	t.Run("QueueHandledPages", func(t *testing.T) { testQueueHandledPages(t, newStores(t).Reports) })
	t.Run("QueueCounts", func(t *testing.T) { testQueueCounts(t, newStores(t).Reports) })
	t.Run("QueueCountsKept", func(t *testing.T) { testQueueCountsKept(t, newStores(t).Reports) }) // queuecounts.go
	t.Run("FeedFilters", func(t *testing.T) { testFeedFilters(t, newStores(t).Reports) })
	t.Run("FeedInBox", func(t *testing.T) { FeedInBox(t, newStores(t).Reports, 200, 20) })                 // feedbox.go
	t.Run("FeedPastBacklog", func(t *testing.T) { FeedPastBacklog(t, newStores(t).Reports, 120, 60, 20) }) // feedbacklog.go
	t.Run("SearchWords", func(t *testing.T) { testSearchWords(t, newStores(t).Reports) })
	t.Run("BulkCreate", func(t *testing.T) { testBulkCreate(t, newStores(t).Reports) })
	t.Run("Changes", func(t *testing.T) { testChanges(t, newStores(t).Reports) }) // changes.go
}

func newReport(reporter string, p feedback.Point, category string, status feedback.Status) *feedback.Report {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &feedback.Report{ID: ids.New(), TrackingCode: feedback.NewTrackingCode(), ReporterID: reporter, Anonymous: true,
		CategoryCode: category, AreaCode: "phuong-an-xuyen", AgencyCode: "cap-nuoc-ca-mau", RoutingRule: "r-1",
		RoutingReason: i18n.T("quy tắc r-1", "rule r-1"), Title: "Ngập nước", Description: "Đường Phan Ngọc Hiển ngập sâu 40 cm",
		Location: p, Cell: feedback.Geohash(p, 7), Locale: i18n.VI, Status: status,
		Deadlines: feedback.Deadlines{DispatchDue: now.Add(2 * time.Hour), ResponseDue: now.Add(6 * time.Hour), ResolutionDue: now.Add(240 * time.Hour)},
		CreatedAt: now, UpdatedAt: now}
}

var camauCenter = feedback.Point{Lat: 9.1769, Lng: 105.1524}

func testReportCreateGet(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	r := newReport("u1", camauCenter, "cap-thoat-nuoc", feedback.StatusSubmitted)
	client := r.CreatedAt.Add(-time.Hour)
	r.ClientCreatedAt = &client
	r.ContactPhone = "+84912345678"
	if err := s.CreateReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetReport(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, r)
	_, err = s.GetReport(ctx, ids.New())
	wantCode(t, err, apperr.ENOTFOUND)
	dupID := *r
	dupID.TrackingCode = feedback.NewTrackingCode()
	wantCode(t, s.CreateReport(ctx, &dupID), apperr.ECONFLICT)
	dupCode := newReport("u1", camauCenter, "cap-thoat-nuoc", feedback.StatusSubmitted)
	dupCode.TrackingCode = r.TrackingCode
	wantCode(t, s.CreateReport(ctx, dupCode), apperr.ECONFLICT)

	// Compare-and-swap update.
	stale := *got
	got.AgencyCode, got.RoutingReason, got.Status = "so-xay-dung", i18n.T("chuyển", "moved"), feedback.StatusDispatched
	if err := s.UpdateReport(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 {
		t.Fatalf("version %d, want 2", got.Version)
	}
	again, _ := s.GetReport(ctx, r.ID)
	if again.AgencyCode != "so-xay-dung" || again.Status != feedback.StatusDispatched || again.RoutingReason.En != "moved" || again.Version != 2 {
		t.Fatalf("after update: %+v", again)
	}
	stale.AgencyCode = "lost-update"
	wantCode(t, s.UpdateReport(ctx, &stale), apperr.ECONFLICT)
	missing := newReport("u1", camauCenter, "khac", feedback.StatusSubmitted)
	wantCode(t, s.UpdateReport(ctx, missing), apperr.ENOTFOUND)
}

func testIdempotency(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	k := feedback.Idempotency{Scope: "u1", Key: "retry-1", RequestHash: "h1", ResourceID: "r1", CreatedAt: time.Now().UTC()}
	if _, err := s.ClaimIdempotency(ctx, k); err != nil {
		t.Fatal(err)
	}
	second := k
	second.RequestHash, second.ResourceID = "h2", "r2"
	got, err := s.ClaimIdempotency(ctx, second)
	wantCode(t, err, apperr.ECONFLICT)
	if got.ResourceID != "r1" || got.RequestHash != "h1" {
		t.Fatalf("a taken key returned %+v, want the first claim", got)
	}
	other := k
	other.Scope = "u2"
	if _, err := s.ClaimIdempotency(ctx, other); err != nil {
		t.Fatalf("the same key for another user: %v", err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := s.ClaimIdempotency(ctx, feedback.Idempotency{Scope: "u3", Key: "race", RequestHash: "h", ResourceID: fmt.Sprint(i), CreatedAt: time.Now()})
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent claims won, want 1", wins)
	}
}

func testListByReporter(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	var want []string
	for i := 0; i < 5; i++ {
		r := newReport("u1", camauCenter, "khac", feedback.StatusSubmitted)
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		want = append([]string{r.ID}, want...)
		time.Sleep(2 * time.Millisecond)
	}
	s.CreateReport(ctx, newReport("u2", camauCenter, "khac", feedback.StatusSubmitted))
	var got []string
	before := ""
	for {
		page, err := s.ListByReporter(ctx, "u1", before, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			got = append(got, r.ID)
		}
		if len(page) < 2 {
			break
		}
		before = page[len(page)-1].ID
	}
	sameJSON(t, got, want)
}

func testNearby(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	near := newReport("u1", camauCenter, "cap-thoat-nuoc", feedback.StatusSubmitted)
	closed := newReport("u1", camauCenter, "cap-thoat-nuoc", feedback.StatusClosed)
	other := newReport("u1", camauCenter, "dien-chieu-sang", feedback.StatusDispatched)
	far := newReport("u1", feedback.Point{Lat: 9.29, Lng: 105.72}, "cap-thoat-nuoc", feedback.StatusSubmitted)
	for _, r := range []*feedback.Report{near, closed, other, far} {
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	byID := map[string]*feedback.Report{}
	for _, r := range []*feedback.Report{near, closed, other, far} {
		byID[r.ID] = r
	}
	idSet := func(list []feedback.Candidate) map[string]bool {
		m := map[string]bool{}
		for _, c := range list {
			m[c.ID] = true
			if c.Location != near.Location && c.Location != far.Location {
				t.Fatalf("candidate %s has location %+v", c.ID, c.Location)
			}
			// The service decides who sees what from these, before it reads
			// any report.
			if r := byID[c.ID]; r == nil || c.Status != r.Status || c.ReporterID != r.ReporterID {
				t.Fatalf("candidate %+v: want the status and reporter of its report", c)
			}
		}
		return m
	}
	got, err := s.NearbyCandidates(ctx, []string{near.Cell}, "", feedback.OpenStatuses)
	if err != nil {
		t.Fatal(err)
	}
	if m := idSet(got); len(m) != 2 || !m[near.ID] || !m[other.ID] {
		t.Fatalf("open reports in the cell: got %v, want near and other", m)
	}
	got, _ = s.NearbyCandidates(ctx, []string{near.Cell, far.Cell}, "cap-thoat-nuoc", feedback.OpenStatuses)
	if m := idSet(got); len(m) != 2 || !m[near.ID] || !m[far.ID] {
		t.Fatalf("category filter over two cells: got %v, want near and far", m)
	}
	got, _ = s.NearbyCandidates(ctx, []string{near.Cell, far.Cell}, "", []feedback.Status{feedback.StatusClosed})
	if m := idSet(got); len(m) != 1 || !m[closed.ID] {
		t.Fatalf("status filter: got %v, want only closed", m)
	}
	reports, err := s.GetReports(ctx, []string{far.ID, near.ID, ids.New()})
	if err != nil || len(reports) != 2 {
		t.Fatalf("GetReports: %d reports, %v; want 2", len(reports), err)
	}
}

func testSupport(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	r := newReport("u1", camauCenter, "khac", feedback.StatusSubmitted)
	s.CreateReport(ctx, r)
	for i, tt := range []struct {
		user string
		want bool
	}{{"u2", true}, {"u3", true}, {"u2", false}} {
		added, err := s.AddSupport(ctx, feedback.Support{ReportID: r.ID, UserID: tt.user, CreatedAt: time.Now()})
		if err != nil || added != tt.want {
			t.Fatalf("support #%d by %s: got %v, %v; want %v", i, tt.user, added, err, tt.want)
		}
	}
	got, _ := s.GetReport(ctx, r.ID)
	if got.SupportCount != 2 {
		t.Fatalf("support count %d, want 2", got.SupportCount)
	}
	if _, err := s.AddSupport(ctx, feedback.Support{ReportID: ids.New(), UserID: "u2", CreatedAt: time.Now()}); apperr.CodeOf(err) != apperr.ENOTFOUND {
		t.Fatalf("support of a missing report: got %v, want ENOTFOUND", err)
	}
}

func testMedia(t *testing.T, s feedback.MediaStore) {
	ctx := context.Background()
	report := ids.New()
	var stored []string
	for i := 0; i < 3; i++ {
		m := feedback.Media{ID: ids.New(), ReportID: report, ContentType: "image/jpeg", Width: 100 + i, Height: 80, ThumbWidth: 32, ThumbHeight: 25,
			Size: 3, ThumbSize: 2, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
		if err := s.AddMedia(ctx, m, []byte{0xff, 0xd8, byte(i)}, []byte{0xff, byte(i)}, 3); err != nil {
			t.Fatal(err)
		}
		stored = append(stored, m.ID)
		time.Sleep(2 * time.Millisecond)
	}
	extra := feedback.Media{ID: ids.New(), ReportID: report, ContentType: "image/jpeg", CreatedAt: time.Now()}
	wantCode(t, s.AddMedia(ctx, extra, []byte{1}, []byte{2}, 3), apperr.ECONFLICT)
	if _, err := s.ReadMedia(ctx, extra.ID, false); apperr.CodeOf(err) != apperr.ENOTFOUND {
		t.Fatalf("the refused photo's bytes were kept: %v", err)
	}
	m, err := s.GetMedia(ctx, stored[1])
	if err != nil || m.Width != 101 || m.ReportID != report {
		t.Fatalf("GetMedia: %+v, %v", m, err)
	}
	data, err := s.ReadMedia(ctx, stored[2], false)
	if err != nil || !bytes.Equal(data, []byte{0xff, 0xd8, 2}) {
		t.Fatalf("ReadMedia: %v, %v", data, err)
	}
	thumb, err := s.ReadMedia(ctx, stored[2], true)
	if err != nil || !bytes.Equal(thumb, []byte{0xff, 2}) {
		t.Fatalf("ReadMedia thumb: %v, %v", thumb, err)
	}
	list, err := s.ListMedia(ctx, report)
	if err != nil || len(list) != 3 || list[0].ID != stored[0] {
		t.Fatalf("ListMedia: %d items, %v", len(list), err)
	}
	_, err = s.GetMedia(ctx, ids.New())
	wantCode(t, err, apperr.ENOTFOUND)
	if list, _ := s.ListMedia(ctx, ids.New()); len(list) != 0 {
		t.Fatal("another report has photos")
	}
}

func testTransition(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	r := newReport("u1", camauCenter, "cap-thoat-nuoc", feedback.StatusSubmitted)
	if err := s.CreateReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	step := func(cur *feedback.Report, action feedback.Action, to feedback.Status, edit func(*feedback.Report, *feedback.Event)) (*feedback.Report, feedback.Event, error) {
		next := *cur
		next.Version, next.Status, next.UpdatedAt = cur.Version+1, to, now
		ev := feedback.Event{ReportID: cur.ID, Version: next.Version, Action: action, FromStatus: cur.Status, ToStatus: to,
			ActorID: "c1", ActorRole: "coordinator", Note: "ghi chú", At: now}
		if edit != nil {
			edit(&next, &ev)
		}
		return &next, ev, s.Transition(ctx, &next, ev)
	}
	d1, _, err := step(r, feedback.ActDispatch, feedback.StatusDispatched, nil)
	if err != nil {
		t.Fatal(err)
	}
	due := now.Add(72 * time.Hour)
	d2, _, err := step(d1, feedback.ActResolve, feedback.StatusResolved, func(n *feedback.Report, e *feedback.Event) {
		n.Answer, n.ResolvedAt = "Đã khơi thông cống", &now
		n.Extension = &feedback.Extension{DueAt: due, Reason: "chờ vật tư", RequestedAt: now}
		e.AgencyCode, e.DueAt = "cap-nuoc-ca-mau", &due
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetReport(ctx, r.ID)
	if got.Status != feedback.StatusResolved || got.Version != 3 || got.Answer != "Đã khơi thông cống" || got.ResolvedAt == nil ||
		got.Extension == nil || !got.Extension.DueAt.Equal(due) {
		t.Fatalf("after two transitions: %+v", got)
	}
	// A change based on a stale version loses and leaves no trace.
	if _, _, err := step(d1, feedback.ActReject, feedback.StatusRejected, nil); apperr.CodeOf(err) != apperr.ECONFLICT {
		t.Fatalf("stale transition: got %v, want ECONFLICT", err)
	}
	hist, err := s.History(ctx, r.ID)
	if err != nil || len(hist) != 2 || hist[0].Action != feedback.ActDispatch || hist[1].Version != 3 || hist[1].DueAt == nil ||
		hist[1].AgencyCode != "cap-nuoc-ca-mau" || hist[1].ToStatus != feedback.StatusResolved {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	// Of concurrent changes from one version, exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := step(d2, feedback.ActClose, feedback.StatusClosed, nil); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d of 12 concurrent transitions won, want 1", wins)
	}
	if hist, _ := s.History(ctx, r.ID); len(hist) != 3 {
		t.Fatalf("history has %d events after the race, want 3", len(hist))
	}
}

func testRatings(t *testing.T, s feedback.RatingStore) {
	ctx := context.Background()
	_, err := s.GetRating(ctx, "r1")
	wantCode(t, err, apperr.ENOTFOUND)
	now := time.Now().UTC().Truncate(time.Millisecond)
	first := feedback.Rating{ReportID: "r1", UserID: "u1", AgencyCode: "so-xay-dung", Score: 2, Comment: "chậm", CreatedAt: now, UpdatedAt: now}
	if err := s.PutRating(ctx, first); err != nil {
		t.Fatal(err)
	}
	changed := first
	changed.Score, changed.Comment, changed.UpdatedAt = 4, "đã khắc phục tốt", now.Add(time.Hour)
	if err := s.PutRating(ctx, changed); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRating(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, got, changed)
}

func testQueue(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	base := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	mk := func(agency string, status feedback.Status, urgent bool, dueIn time.Duration) *feedback.Report {
		r := newReport("u1", camauCenter, "cap-thoat-nuoc", status)
		r.AgencyCode, r.Urgent = agency, urgent
		d := base.Add(dueIn)
		r.Deadlines = feedback.Deadlines{DispatchDue: d, ResponseDue: d, ResolutionDue: d}
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	late := mk("a", feedback.StatusDispatched, false, -time.Hour)
	soon := mk("a", feedback.StatusAccepted, false, time.Hour)
	urgentLater := mk("a", feedback.StatusInProgress, true, 5*time.Hour)
	urgentFirst := mk("a", feedback.StatusSubmitted, true, 2*time.Hour)
	mk("a", feedback.StatusResolved, false, -5*time.Hour) // handled: not in the open queue
	mk("b", feedback.StatusDispatched, true, -3*time.Hour)
	want := []string{urgentFirst.ID, urgentLater.ID, late.ID, soon.ID}

	var got []string
	var after *feedback.QueueCursor
	for page := 0; page < 5; page++ {
		list, err := s.Queue(ctx, feedback.QueueFilter{AgencyCode: "a", Statuses: feedback.OpenStatuses, After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			got = append(got, r.ID)
		}
		if len(list) < 3 {
			break
		}
		last := list[len(list)-1]
		after = &feedback.QueueCursor{Urgent: last.Urgent, NextDue: last.NextDue(), ID: last.ID}
	}
	sameJSON(t, got, want)

	now := base
	over, err := s.Queue(ctx, feedback.QueueFilter{AgencyCode: "a", Statuses: feedback.OpenStatuses, DueBefore: &now, Limit: 10})
	if err != nil || len(over) != 1 || over[0].ID != late.ID {
		t.Fatalf("overdue in a: %d reports, %v; want only the late one", len(over), err)
	}
	all, _ := s.Queue(ctx, feedback.QueueFilter{Statuses: feedback.OpenStatuses, DueBefore: &now, Limit: 10})
	if len(all) != 2 {
		t.Fatalf("overdue everywhere: %d, want 2", len(all))
	}
}

// testQueueHandledPages pages one report at a time through queues whose
// reports wait for nothing (no next deadline), alone and mixed with open
// ones: every report comes once, in the order of one large page.
func testQueueHandledPages(t *testing.T, s feedback.ReportStore) {
	ctx := context.Background()
	base := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	for i, st := range []feedback.Status{feedback.StatusClosed, feedback.StatusClosed, feedback.StatusResolved, feedback.StatusDispatched,
		feedback.StatusClosed, feedback.StatusRejected, feedback.StatusAccepted} {
		r := newReport("u1", camauCenter, "cap-thoat-nuoc", st)
		r.AgencyCode, r.Urgent = "a", i%3 == 0
		d := base.Add(time.Duration(i) * time.Hour)
		r.Deadlines = feedback.Deadlines{DispatchDue: d, ResponseDue: d, ResolutionDue: d}
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for name, statuses := range map[string][]feedback.Status{"closed": {feedback.StatusClosed}, "all": feedback.AllStatuses} {
		t.Run(name, func(t *testing.T) {
			whole, err := s.Queue(ctx, feedback.QueueFilter{AgencyCode: "a", Statuses: statuses, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, r := range whole {
				want = append(want, r.ID)
			}
			var after *feedback.QueueCursor
			for page := 0; page <= len(whole); page++ {
				list, err := s.Queue(ctx, feedback.QueueFilter{AgencyCode: "a", Statuses: statuses, After: after, Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				if len(list) == 0 {
					break
				}
				got = append(got, list[0].ID)
				after = &feedback.QueueCursor{Urgent: list[0].Urgent, NextDue: list[0].NextDue(), ID: list[0].ID}
			}
			sameJSON(t, got, want)
		})
	}
}

// queueFixture stores reports for the queue filters: in agency "a" two
// lights (one urgent, one with a pending extension), a flood, a resolved
// light; in agency "b" a light. Deadlines are base plus dueIn.
type queueFixture struct {
	base                                            time.Time
	lightUrgent, lightExt, flood, lightDone, lightB *feedback.Report
}

func newQueueFixture(t *testing.T, s feedback.ReportStore) queueFixture {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	mk := func(agency string, status feedback.Status, urgent bool, dueIn time.Duration, title, desc string, ext bool) *feedback.Report {
		r := newReport("u1", camauCenter, "dien-chieu-sang", status)
		r.AgencyCode, r.Urgent, r.Title, r.Description = agency, urgent, title, desc
		d := base.Add(dueIn)
		r.Deadlines = feedback.Deadlines{DispatchDue: d, ResponseDue: d, ResolutionDue: d}
		if ext {
			r.Extension = &feedback.Extension{DueAt: d.Add(72 * time.Hour), Reason: "chờ vật tư", RequestedAt: base}
		}
		if err := s.CreateReport(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	return queueFixture{base: base,
		lightUrgent: mk("a", feedback.StatusDispatched, true, 3*time.Hour, "Đèn đường hỏng", "Cả dãy đèn đường Lý Thường Kiệt không sáng", false),
		lightExt:    mk("a", feedback.StatusInProgress, false, -time.Hour, "Đèn chiếu sáng chập chờn", "Đèn nhấp nháy cả đêm ở hẻm 12", true),
		flood:       mk("a", feedback.StatusAccepted, false, time.Hour, "Ngập nước", "Đường Phan Ngọc Hiển ngập sâu 40 cm", false),
		lightDone:   mk("a", feedback.StatusResolved, false, -5*time.Hour, "Đèn đường tắt", "Đèn trước chợ tắt", false),
		lightB:      mk("b", feedback.StatusSubmitted, false, 2*time.Hour, "Đèn đường hỏng", "Đèn ở phường khác", false),
	}
}

func queueIDs(t *testing.T, s feedback.ReportStore, f feedback.QueueFilter) []string {
	t.Helper()
	if f.Limit == 0 {
		f.Limit = 10
	}
	if f.Statuses == nil {
		f.Statuses = feedback.OpenStatuses
	}
	list, err := s.Queue(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, r := range list {
		ids = append(ids, r.ID)
	}
	return ids
}

func testQueueFilters(t *testing.T, s feedback.ReportStore) {
	fx := newQueueFixture(t, s)
	t.Run("TrackingCode", func(t *testing.T) {
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{AgencyCode: "a", TrackingCode: fx.flood.TrackingCode}), []string{fx.flood.ID})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{TrackingCode: fx.lightB.TrackingCode}), []string{fx.lightB.ID})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{AgencyCode: "a", TrackingCode: fx.lightB.TrackingCode}), []string{})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{TrackingCode: "CM-2222-2222"}), []string{})
	})
	t.Run("Terms", func(t *testing.T) {
		// Folded prefixes of words, every term; the resolved one is not open.
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{AgencyCode: "a", Terms: feedback.SearchTerms("đèn")}), []string{fx.lightUrgent.ID, fx.lightExt.ID})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{AgencyCode: "a", Terms: feedback.SearchTerms("DEN duo")}), []string{fx.lightUrgent.ID})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{Terms: feedback.SearchTerms("den duong")}), []string{fx.lightUrgent.ID, fx.lightB.ID})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{AgencyCode: "a", Terms: feedback.SearchTerms("uong")}), []string{})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{AgencyCode: "a", Terms: feedback.SearchTerms("den"),
			Statuses: []feedback.Status{feedback.StatusResolved}}), []string{fx.lightDone.ID})
	})
	t.Run("ExtensionPending", func(t *testing.T) {
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{AgencyCode: "a", ExtensionPending: true}), []string{fx.lightExt.ID})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{ExtensionPending: true}), []string{fx.lightExt.ID})
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{AgencyCode: "b", ExtensionPending: true}), []string{})
		now := fx.base
		sameJSON(t, queueIDs(t, s, feedback.QueueFilter{ExtensionPending: true, DueBefore: &now}), []string{fx.lightExt.ID})
	})
	t.Run("Paging", func(t *testing.T) {
		// Keyset pages, one report at a time, with search and without an agency.
		var got []string
		var after *feedback.QueueCursor
		for page := 0; page < 5; page++ {
			list, err := s.Queue(context.Background(), feedback.QueueFilter{Statuses: feedback.OpenStatuses, Terms: []string{"den"}, After: after, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range list {
				got = append(got, r.ID)
			}
			if len(list) < 1 {
				break
			}
			after = &feedback.QueueCursor{Urgent: list[0].Urgent, NextDue: list[0].NextDue(), ID: list[0].ID}
		}
		sameJSON(t, got, []string{fx.lightUrgent.ID, fx.lightExt.ID, fx.lightB.ID})
	})
}

func testQueueCounts(t *testing.T, s feedback.ReportStore) {
	fx := newQueueFixture(t, s)
	ctx := context.Background()
	count := func(f feedback.QueueFilter) map[feedback.Status]int {
		t.Helper()
		got, err := s.QueueCounts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for st, n := range got {
			if n == 0 {
				delete(got, st)
			}
		}
		return got
	}
	now := fx.base
	for _, c := range []struct {
		name string
		f    feedback.QueueFilter
		want map[feedback.Status]int
	}{
		{"Agency", feedback.QueueFilter{AgencyCode: "a"},
			map[feedback.Status]int{feedback.StatusDispatched: 1, feedback.StatusInProgress: 1, feedback.StatusAccepted: 1, feedback.StatusResolved: 1}},
		{"All", feedback.QueueFilter{},
			map[feedback.Status]int{feedback.StatusSubmitted: 1, feedback.StatusDispatched: 1, feedback.StatusInProgress: 1, feedback.StatusAccepted: 1, feedback.StatusResolved: 1}},
		{"IgnoresStatusesAndPage", feedback.QueueFilter{AgencyCode: "a", Statuses: []feedback.Status{feedback.StatusSubmitted}, Limit: 1,
			After: &feedback.QueueCursor{Urgent: false, NextDue: fx.base.Add(100 * time.Hour), ID: fx.flood.ID}},
			map[feedback.Status]int{feedback.StatusDispatched: 1, feedback.StatusInProgress: 1, feedback.StatusAccepted: 1, feedback.StatusResolved: 1}},
		{"Category", feedback.QueueFilter{AgencyCode: "a", CategoryCode: "cap-thoat-nuoc"}, map[feedback.Status]int{}},
		{"Terms", feedback.QueueFilter{AgencyCode: "a", Terms: []string{"den"}},
			map[feedback.Status]int{feedback.StatusDispatched: 1, feedback.StatusInProgress: 1, feedback.StatusResolved: 1}},
		{"TrackingCode", feedback.QueueFilter{TrackingCode: fx.lightDone.TrackingCode}, map[feedback.Status]int{feedback.StatusResolved: 1}},
		{"ExtensionPending", feedback.QueueFilter{ExtensionPending: true}, map[feedback.Status]int{feedback.StatusInProgress: 1}},
		{"DueBefore", feedback.QueueFilter{DueBefore: &now}, map[feedback.Status]int{feedback.StatusInProgress: 1}},
	} {
		t.Run(c.name, func(t *testing.T) { sameJSON(t, count(c.f), c.want) })
	}
}
