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
	"camaug/internal/i18n"
	"camaug/internal/ids"
	"camaug/internal/store/sqlite"
)

// TestCrash_AcknowledgedReportsSurvive kills (SIGKILL) a process that is
// storing reports from 16 goroutines through the group commit, then opens
// the database: every report the process was told was stored is there.
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
	var acked []string
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(20 * time.Second)
	for len(acked) < 400 && time.Now().Before(deadline) && lines.Scan() {
		if id, ok := strings.CutPrefix(lines.Text(), "stored "); ok {
			acked = append(acked, id)
		}
	}
	cmd.Process.Kill() // SIGKILL: no deferred code, no clean close
	for lines.Scan() { // acknowledgements written before the kill count too
		if id, ok := strings.CutPrefix(lines.Text(), "stored "); ok {
			acked = append(acked, id)
		}
	}
	cmd.Wait()
	if len(acked) < 50 {
		t.Fatalf("the writer acknowledged %d reports before the kill, want at least 50", len(acked))
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	missing := 0
	for _, id := range acked {
		if _, err := db.Reports().GetReport(context.Background(), id); err != nil {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged reports lost after kill -9", missing, len(acked))
	}
}

// crashWriter stores reports until killed, printing "stored ID" once
// CreateReport returned for each.
func crashWriter(path string) {
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	reports := db.Reports()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p := feedback.Point{Lat: 9.1769, Lng: 105.1524}
				now := time.Now().UTC()
				r := &feedback.Report{ID: ids.New(), TrackingCode: feedback.NewTrackingCode(), ReporterID: "u", Anonymous: true,
					CategoryCode: "cap-thoat-nuoc", AgencyCode: "cap-nuoc-ca-mau", RoutingReason: i18n.T("r", "r"), Description: "Cống tắc",
					Location: p, Cell: feedback.Geohash(p, 7), Locale: i18n.VI, Status: feedback.StatusSubmitted, CreatedAt: now, UpdatedAt: now,
					Deadlines: feedback.Deadlines{DispatchDue: now, ResponseDue: now, ResolutionDue: now}}
				if err := reports.CreateReport(context.Background(), r); err != nil {
					continue
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "stored %s\n", r.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
