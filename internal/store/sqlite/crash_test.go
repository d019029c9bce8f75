package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"camaug/feedback"
	"camaug/internal/identity"
	"camaug/internal/store/sqlite"
)

// TestCrash_AcknowledgedReportsSurvive kills (SIGKILL) a process that is
// submitting reports from 16 goroutines through the group commit, half of
// them in a category dispatched on arrival, each with an Idempotency-Key,
// then opens the database: every report the process was told was stored is
// there, with its key's claim, and each answered as dispatched has its
// dispatch event and outbox entries.
func TestCrash_AcknowledgedReportsSurvive(t *testing.T) {
	if path := os.Getenv("CAMAUG_CRASH_WRITER_DB"); path != "" {
		crashWriter(path)
		return
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrash_AcknowledgedReportsSurvive$")
	cmd.Env = append(os.Environ(), "CAMAUG_CRASH_WRITER_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type ack struct{ id, status, key string }
	var acked []ack
	read := func(line string) {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "stored" {
			acked = append(acked, ack{f[1], f[2], f[3]})
		}
	}
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(20 * time.Second)
	for len(acked) < 400 && time.Now().Before(deadline) && lines.Scan() {
		read(lines.Text())
	}
	cmd.Process.Kill() // SIGKILL: no deferred code, no clean close
	for lines.Scan() { // acknowledgements written before the kill count too
		read(lines.Text())
	}
	cmd.Wait()
	if len(acked) < 50 {
		t.Fatalf("the writer acknowledged %d reports before the kill, want at least 50", len(acked))
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reports := db.Reports()
	outbox := map[string]int{}
	due, err := reports.DueNotifications(ctx, time.Now().Add(time.Hour), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range due {
		outbox[n.ReportID]++
	}
	missing, undispatched, unclaimed, dispatched := 0, 0, 0, 0
	for _, a := range acked {
		r, err := reports.GetReport(ctx, a.id)
		if err != nil {
			missing++
			continue
		}
		claim, err := reports.ClaimIdempotency(ctx, feedback.Idempotency{Scope: "u", Key: a.key, RequestHash: "another", ResourceID: "x", CreatedAt: time.Now()})
		if err == nil || claim.ResourceID != a.id {
			unclaimed++
		}
		if a.status != string(feedback.StatusDispatched) {
			continue
		}
		dispatched++
		hist, err := reports.History(ctx, a.id)
		if err != nil || len(hist) != 1 || hist[0].Action != feedback.ActDispatch || r.Status != feedback.StatusDispatched || outbox[a.id] == 0 {
			undispatched++
		}
	}
	if missing > 0 || undispatched > 0 || unclaimed > 0 {
		t.Fatalf("after kill -9, of %d acknowledged reports %d are lost, %d lack their key's claim; of the %d answered as dispatched %d lack the dispatch",
			len(acked), missing, unclaimed, dispatched, undispatched)
	}
	if dispatched == 0 {
		t.Fatal("no acknowledged report was dispatched on arrival: the dispatch went unchecked")
	}
	t.Logf("%d acknowledged reports survived, %d with their dispatch", len(acked), dispatched)
}

// crashWriter submits reports until killed, printing "stored ID STATUS
// KEY" once Submit returned for each.
func crashWriter(path string) {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Println("error", err)
		os.Exit(1)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		fail(err)
	}
	ref, err := feedback.DefaultReference()
	if err != nil {
		fail(err)
	}
	for i := range ref.Categories {
		ref.Categories[i].AutoDispatch = ref.Categories[i].Code == "dien-chieu-sang"
	}
	refs := feedback.NewReferenceService(db.Reference())
	if err := refs.Import(ctx, ref); err != nil {
		fail(err)
	}
	svc := feedback.NewReportService(db.Reports(), db.Media(), db.Ratings(), refs, nil)
	citizen := identity.Principal{UserID: "u", Role: identity.RoleCitizen}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := feedback.SubmitInput{CategoryCode: "cap-thoat-nuoc", Description: "Cống tắc, nước tràn lên đường",
				Location: &feedback.Point{Lat: 9.1769, Lng: 105.1524}}
			if w%2 == 0 {
				in.CategoryCode = "dien-chieu-sang" // dispatched on arrival
			}
			for i := 0; ; i++ {
				key := fmt.Sprintf("crash-%d-%d", w, i)
				r, _, err := svc.Submit(ctx, citizen, in, key)
				if err != nil {
					continue
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "stored %s %s %s\n", r.ID, r.Status, key)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
