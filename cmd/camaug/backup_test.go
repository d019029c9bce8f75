package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func readManifest(t *testing.T, file string) manifest {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no manifest.json in %s: %v", file, err)
		}
		if h.Name == "manifest.json" {
			var m manifest
			if err := json.NewDecoder(tr).Decode(&m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
}

type myReports struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// countMine counts a citizen's reports through the API, page by page.
func countMine(t *testing.T, base, token string) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		var page myReports
		apiJSON(t, http.StatusOK, "GET", base+"/v1/me/reports?limit=100&cursor="+cursor, token, nil, &page)
		n += len(page.Items)
		if page.NextCursor == "" {
			return n
		}
		cursor = page.NextCursor
	}
}

// TestBackup_WhileServing: a backup taken during a stream of submissions
// restores into a store whose counts are the manifest's, and the service
// started on it serves the reports and photos it holds.
func TestBackup_WhileServing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	getenv := env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir, "CAMAUG_KEY_SECRET", "backup-test-key-secret-0123456789")
	base, stop := startServer(t, getenv)
	tok := guestToken(t, base, "device-backup-0011")
	first := submit(t, base, tok, "cap-thoat-nuoc", "Ngập nước đường Phan Ngọc Hiển", 9.1769, 105.1524)
	photo := testJPEG(t, 120)
	photoID := uploadPhoto(t, base, tok, first, photo)
	_, served := apiCall(t, "GET", base+"/v1/media/"+photoID, tok, nil)

	// Submissions (with a photo each) go on while the backup runs. The
	// writers report failures with t.Errorf (t.Fatal must not be called
	// off the test's goroutine) and stop.
	var submitted atomic.Int64
	stopWriting := make(chan struct{})
	writerDone := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { writerDone <- struct{}{} }()
			for i := 0; ; i++ {
				select {
				case <-stopWriting:
					return
				default:
				}
				if err := submitWithPhoto(base, tok, fmt.Sprintf("Rác thải ùn ứ %d-%d", w, i), photo); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				submitted.Add(1)
			}
		}()
	}
	for submitted.Load() < 1 && len(writerDone) == 0 {
		apiCall(t, "GET", base+"/healthz", "", nil) // let a few land first
	}
	if t.Failed() {
		close(stopWriting)
		wg.Wait()
		t.FailNow()
	}
	archive := filepath.Join(t.TempDir(), "camaug-backup.tar.gz")
	var out strings.Builder
	err := run(context.Background(), []string{"camaug", "backup", "--out", archive}, getenv, &out, io.Discard)
	close(stopWriting)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	total := countMine(t, base, tok)
	stop()
	m := readManifest(t, archive)
	t.Logf("%s(%d reports submitted in all, %d during the backup run)", out.String(), total, submitted.Load())
	if m.Counts["reports"] < 2 || m.Photos != int(m.Counts["media"]) || m.Photos < 2 || len(m.Files) != 1+2*m.Photos {
		t.Fatalf("manifest: %d reports, %d photos, %d media rows, %d files", m.Counts["reports"], m.Photos, m.Counts["media"], len(m.Files))
	}

	restored := filepath.Join(t.TempDir(), "restored")
	out.Reset()
	if err := run(context.Background(), []string{"camaug", "restore", "--from", archive, "--data-dir", restored}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	base2, stop2 := startServer(t, env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", restored, "CAMAUG_KEY_SECRET", "backup-test-key-secret-0123456789"))
	// The same signing keys: the token issued before the backup still works.
	if got := countMine(t, base2, tok); int64(got) != m.Counts["reports"] {
		t.Fatalf("the restored service lists %d reports, the manifest says %d", got, m.Counts["reports"])
	}
	if code, got := apiCall(t, "GET", base2+"/v1/media/"+photoID, tok, nil); code != http.StatusOK || !bytes.Equal(got, served) {
		t.Fatalf("restored photo: %d, %d bytes; want 200 and the %d bytes served before", code, len(got), len(served))
	}
	stop2()

	// A data folder that is not empty is left alone unless told.
	err = run(context.Background(), []string{"camaug", "restore", "--from", archive, "--data-dir", restored}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore into a non-empty folder: got %v, want a refusal naming --force", err)
	}
	if err := run(context.Background(), []string{"camaug", "restore", "--from", archive, "--data-dir", restored, "--force"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatalf("restore --force: %v", err)
	}
}

// TestRestore_DamagedArchive: a truncated or altered archive restores
// nothing.
func TestRestore_DamagedArchive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	getenv := env("CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir, "CAMAUG_KEY_SECRET", "backup-test-key-secret-0123456789")
	base, stop := startServer(t, getenv)
	tok := guestToken(t, base, "device-backup-0012")
	uploadPhoto(t, base, tok, submit(t, base, tok, "cap-thoat-nuoc", "Ngập nước", 9.1769, 105.1524), testJPEG(t, 10))
	stop()
	archive := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := run(context.Background(), []string{"camaug", "backup", "--out", archive}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"camaug", "backup", "--out", archive}, getenv, io.Discard, io.Discard); err == nil {
		t.Fatal("a second backup overwrote the first archive")
	}
	data, _ := os.ReadFile(archive)

	// Rewrite the archive with one photo's bytes changed but its size kept.
	var altered bytes.Buffer
	gzr, _ := gzip.NewReader(bytes.NewReader(data))
	tr := tar.NewReader(gzr)
	gzw := gzip.NewWriter(&altered)
	tw := tar.NewWriter(gzw)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		if strings.HasSuffix(h.Name, ".thumb.jpg") {
			b[len(b)/2] ^= 0xFF
		}
		tw.WriteHeader(h)
		tw.Write(b)
	}
	tw.Close()
	gzw.Close()

	for name, content := range map[string][]byte{"truncated": data[:len(data)/2], "altered": altered.Bytes()} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), name+".tar.gz")
			os.WriteFile(file, content, 0o600)
			target := filepath.Join(t.TempDir(), "target")
			err := run(context.Background(), []string{"camaug", "restore", "--from", file, "--data-dir", target}, getenv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
				t.Fatalf("got %v, want a refusal", err)
			}
			if entries, _ := os.ReadDir(target); len(entries) > 0 {
				t.Fatalf("a refused restore left %d files in the data folder", len(entries))
			}
		})
	}
}

// submitWithPhoto files a report with one photo, returning any failure as
// an error (it runs off the test's goroutine).
func submitWithPhoto(base, token, title string, photo []byte) error {
	body, _ := json.Marshal(map[string]any{"category_code": "ve-sinh-moi-truong", "title": title,
		"description": "Rác thải sinh hoạt ùn ứ nhiều ngày: " + title,
		"location":    map[string]float64{"lat": 9.18, "lng": 105.15}, "address": "Phường An Xuyên, Cà Mau"})
	req, _ := http.NewRequest("POST", base+"/v1/reports", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	var rep struct {
		ID string `json:"id"`
	}
	json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("submit: %d", resp.StatusCode)
	}
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	part, _ := w.CreateFormFile("file", "photo.jpg")
	part.Write(photo)
	w.Close()
	req, _ = http.NewRequest("POST", base+"/v1/reports/"+rep.ID+"/media", &mp)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("photo: %d", resp.StatusCode)
	}
	return nil
}
