package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/identity"
	"camaug/internal/ids"
)

// runSubmit checks SubmitReport (feedback.Submitter): a submission's
// claim, report and automatic dispatch in one call. Every store here
// implements it. The cases share one store, each with its own reporter.
func runSubmit(t *testing.T, newStores func(t *testing.T) Stores) {
	s := newStores(t).Reports
	sub, ok := s.(feedback.Submitter)
	if !ok {
		t.Fatalf("%T is no feedback.Submitter", s)
	}
	ref, err := feedback.DefaultReference()
	if err != nil {
		t.Fatal(err)
	}
	k := &submitKit{s: s, sub: sub, ref: ref}
	t.Run("Plain", k.testPlain)
	t.Run("AutoDispatch", k.testAutoDispatch)
	t.Run("Retry", k.testRetry)
	t.Run("RetryAfterLostReport", k.testRetryAfterLostReport)
	t.Run("OtherBody", k.testOtherBody)
	t.Run("ExpiredClaim", k.testExpiredClaim)
	t.Run("TrackingCodeClash", k.testTrackingCodeClash)
	t.Run("ConcurrentSameKey", k.testConcurrentSameKey)
}

type submitKit struct {
	s   feedback.ReportStore
	sub feedback.Submitter
	ref *feedback.Reference
}

// submission is a new report of reporter, with a claim of key when key is
// set (with hash, made at at, live one hour), dispatched on arrival when
// dispatch is set (as the service computes it: Apply).
func (k *submitKit) submission(t *testing.T, reporter, key, hash string, at time.Time, dispatch bool) *feedback.Submission {
	t.Helper()
	r := newReport(reporter, camauCenter, "cap-thoat-nuoc", feedback.StatusSubmitted)
	r.CreatedAt, r.UpdatedAt, r.Version = at, at, 1
	s := &feedback.Submission{Report: r}
	if key != "" {
		s.Claim = &feedback.Idempotency{Scope: reporter, Key: key, RequestHash: hash, ResourceID: r.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	}
	if dispatch {
		next, ev, err := feedback.Apply(identity.Principal{UserID: "c1", Role: identity.RoleCoordinator}, r,
			feedback.TransitionInput{Action: feedback.ActDispatch, Note: "tự động chuyển xử lý"}, at, k.ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Notify) == 0 {
			t.Fatal("the dispatch has no outbox entries to check")
		}
		// Apply gives the response deadline in the calendar's zone; the
		// stores read times back in UTC (the same instants).
		next.Deadlines.ResponseDue = next.Deadlines.ResponseDue.UTC()
		s.Dispatched, s.Event = next, ev
	}
	return s
}

func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// wantStored fails unless the store holds want as it is, with one dispatch
// event and its outbox entries when it was dispatched, and nothing else.
func (k *submitKit) wantStored(t *testing.T, want *feedback.Report) {
	t.Helper()
	ctx := context.Background()
	got, err := k.s.GetReport(ctx, want.ID)
	if err != nil {
		t.Fatalf("GetReport(%s): %v", want.ID, err)
	}
	sameJSON(t, got, want)
	// Its words find it.
	found, err := k.s.Queue(ctx, feedback.QueueFilter{Statuses: []feedback.Status{want.Status}, TrackingCode: want.TrackingCode,
		Terms: feedback.SearchTerms("phan ngọc ngập"), Limit: 5})
	if err != nil || len(found) != 1 || found[0].ID != want.ID {
		t.Fatalf("a search for the report's words found %d reports, %v; want %s", len(found), err, want.ID)
	}
	hist, err := k.s.History(ctx, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	var outbox []feedback.Notification
	due, err := k.s.DueNotifications(ctx, time.Now().Add(24*time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range due {
		if n.ReportID == want.ID {
			outbox = append(outbox, n)
		}
	}
	if want.Status != feedback.StatusDispatched {
		if len(hist) != 0 || len(outbox) != 0 {
			t.Fatalf("an undispatched report has %d events and %d outbox entries, want none", len(hist), len(outbox))
		}
		return
	}
	if len(hist) != 1 || hist[0].Action != feedback.ActDispatch || hist[0].Version != 2 || hist[0].ReportID != want.ID {
		t.Fatalf("history of a dispatched report: %+v, want its one dispatch", hist)
	}
	if len(outbox) == 0 {
		t.Fatal("a dispatched report has no outbox entries")
	}
	for _, n := range outbox {
		if n.TrackingCode != want.TrackingCode || !strings.HasPrefix(n.ID, want.ID+"#2/") || n.Action != feedback.ActDispatch {
			t.Fatalf("outbox entry %+v, want the dispatch of %s (%s)", n, want.ID, want.TrackingCode)
		}
	}
}

func (k *submitKit) reportsOf(t *testing.T, reporter string) []feedback.Report {
	t.Helper()
	rs, err := k.s.ListByReporter(context.Background(), reporter, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func (k *submitKit) testPlain(t *testing.T) {
	s := k.submission(t, "plain", "", "", now(), false)
	want := *s.Report
	res, err := k.sub.SubmitReport(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed || res.Report == nil {
		t.Fatalf("got %+v, want the report, not replayed", res)
	}
	sameJSON(t, res.Report, &want)
	k.wantStored(t, res.Report)
}

func (k *submitKit) testAutoDispatch(t *testing.T) {
	s := k.submission(t, "auto", "key-auto", "h", now(), true)
	want := *s.Dispatched
	res, err := k.sub.SubmitReport(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed || res.Report.Status != feedback.StatusDispatched || res.Report.Version != 2 {
		t.Fatalf("got %+v (replayed %v), want the dispatched report at version 2", res.Report, res.Replayed)
	}
	sameJSON(t, res.Report, &want)
	k.wantStored(t, res.Report)
}

func (k *submitKit) testRetry(t *testing.T) {
	ctx := context.Background()
	t0 := now()
	first, err := k.sub.SubmitReport(ctx, k.submission(t, "retry", "key-retry", "h", t0, true))
	if err != nil {
		t.Fatal(err)
	}
	// The phone did not hear the answer and sends the same body again: a
	// new ID and tracking code in the service, the same key and hash.
	again, err := k.sub.SubmitReport(ctx, k.submission(t, "retry", "key-retry", "h", t0.Add(time.Minute), true))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Report.ID != first.Report.ID || again.Report.TrackingCode != first.Report.TrackingCode {
		t.Fatalf("a retry got %s %s (replayed %v), want the first report %s %s, replayed",
			again.Report.ID, again.Report.TrackingCode, again.Replayed, first.Report.ID, first.Report.TrackingCode)
	}
	sameJSON(t, again.Report, first.Report)
	if n := len(k.reportsOf(t, "retry")); n != 1 {
		t.Fatalf("%d reports after a retry, want 1", n)
	}
	k.wantStored(t, first.Report)
}

func (k *submitKit) testRetryAfterLostReport(t *testing.T) {
	ctx := context.Background()
	t0 := now()
	// The first request claimed the key, then died before its report was
	// stored.
	lost := ids.New()
	if _, err := k.s.ClaimIdempotency(ctx, feedback.Idempotency{Scope: "lost", Key: "key-lost", RequestHash: "h", ResourceID: lost,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s := k.submission(t, "lost", "key-lost", "h", t0.Add(time.Minute), true)
	own := s.Report.ID
	res, err := k.sub.SubmitReport(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Replayed || res.Report.ID != lost || res.Report.Status != feedback.StatusDispatched {
		t.Fatalf("got %s %s (replayed %v), want the claimed ID %s, dispatched, replayed", res.Report.ID, res.Report.Status, res.Replayed, lost)
	}
	k.wantStored(t, res.Report)
	if _, err := k.s.GetReport(ctx, own); apperr.CodeOf(err) != apperr.ENOTFOUND {
		t.Fatalf("the retry's own ID: %v, want ENOTFOUND (it stores under the claimed ID)", err)
	}
	if n := len(k.reportsOf(t, "lost")); n != 1 {
		t.Fatalf("%d reports, want 1", n)
	}
}

func (k *submitKit) testOtherBody(t *testing.T) {
	ctx := context.Background()
	t0 := now()
	first, err := k.sub.SubmitReport(ctx, k.submission(t, "other", "key-other", "h1", t0, false))
	if err != nil {
		t.Fatal(err)
	}
	s := k.submission(t, "other", "key-other", "h2", t0.Add(time.Minute), true)
	_, err = k.sub.SubmitReport(ctx, s)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.ECONFLICT || ae.Kind != apperr.KindIdempotencyKey {
		t.Fatalf("the same key with another body: %v, want ECONFLICT %s", err, apperr.KindIdempotencyKey)
	}
	if rs := k.reportsOf(t, "other"); len(rs) != 1 || rs[0].ID != first.Report.ID {
		t.Fatalf("reports after the refused body: %d, want only the first", len(rs))
	}
	k.wantStored(t, first.Report)
}

func (k *submitKit) testExpiredClaim(t *testing.T) {
	ctx := context.Background()
	// Times from now on: a server with TTL indexes must not remove the
	// claim by the wall clock while the test runs.
	t0 := now()
	first, err := k.sub.SubmitReport(ctx, k.submission(t, "expired", "key-exp", "h1", t0, false))
	if err != nil {
		t.Fatal(err)
	}
	// The claim lives one hour: at two hours the key is free again, even
	// with the same body.
	late, err := k.sub.SubmitReport(ctx, k.submission(t, "expired", "key-exp", "h1", t0.Add(2*time.Hour), true))
	if err != nil {
		t.Fatal(err)
	}
	if late.Replayed || late.Report.ID == first.Report.ID {
		t.Fatalf("after expiry got %s (replayed %v), want a new report, not replayed", late.Report.ID, late.Replayed)
	}
	k.wantStored(t, late.Report)
	k.wantStored(t, first.Report)
	// The new claim answers its retries.
	again, err := k.sub.SubmitReport(ctx, k.submission(t, "expired", "key-exp", "h1", t0.Add(150*time.Minute), true))
	if err != nil || !again.Replayed || again.Report.ID != late.Report.ID {
		t.Fatalf("a retry of the new claim: %+v, %v; want %s, replayed", again, err, late.Report.ID)
	}
}

func (k *submitKit) testTrackingCodeClash(t *testing.T) {
	ctx := context.Background()
	t0 := now()
	first, err := k.sub.SubmitReport(ctx, k.submission(t, "clash", "", "", t0, false))
	if err != nil {
		t.Fatal(err)
	}
	s := k.submission(t, "clash", "key-clash", "h", t0, true)
	s.Rename(s.Report.ID, first.Report.TrackingCode)
	res, err := k.sub.SubmitReport(ctx, s)
	if err != nil {
		t.Fatalf("a tracking code already used: %v, want a new code", err)
	}
	if res.Report.TrackingCode == first.Report.TrackingCode || res.Report.Status != feedback.StatusDispatched {
		t.Fatalf("got %s %s, want another tracking code than %s, dispatched", res.Report.TrackingCode, res.Report.Status, first.Report.TrackingCode)
	}
	// The dispatch and its outbox entries carry the new code.
	k.wantStored(t, res.Report)
	k.wantStored(t, first.Report)
}

func (k *submitKit) testConcurrentSameKey(t *testing.T) {
	ctx := context.Background()
	t0 := now()
	const n = 16
	results := make([]feedback.SubmitResult, n)
	errs := make([]error, n)
	subs := make([]*feedback.Submission, n)
	for i := range subs {
		subs[i] = k.submission(t, "race", "key-race", "h", t0, true)
	}
	var wg sync.WaitGroup
	for i := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = k.sub.SubmitReport(ctx, subs[i])
		}()
	}
	wg.Wait()
	first := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("submission %d: %v", i, errs[i])
		}
		if results[i].Report.ID != results[0].Report.ID {
			t.Fatalf("submission %d got report %s, submission 0 %s: want one report", i, results[i].Report.ID, results[0].Report.ID)
		}
		if !results[i].Replayed {
			first++
		}
	}
	if first != 1 {
		t.Fatalf("%d of %d submissions were not replays, want exactly 1 (the claim's)", first, n)
	}
	rs := k.reportsOf(t, "race")
	if len(rs) != 1 {
		t.Fatalf("%d concurrent submissions with one key stored %d reports, want 1", n, len(rs))
	}
	k.wantStored(t, &rs[0])
	if rs[0].Status != feedback.StatusDispatched {
		t.Fatalf("the report is %s, want dispatched", rs[0].Status)
	}
}
