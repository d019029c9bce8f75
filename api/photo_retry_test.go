package api_test

import (
	"context"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"camaug/internal/store/sqlite"
)

// mediaFiles counts the files in the SQLite store's media folder (none on
// MongoDB, whose photos live in GridFS).
func mediaFiles(t *testing.T, env *testEnv) int {
	t.Helper()
	db, ok := env.store.(*sqlite.DB)
	if !ok {
		return 0
	}
	n := 0
	filepath.WalkDir(filepath.Join(filepath.Dir(db.Path()), "media"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".jpg") {
			n++
		}
		return nil
	})
	return n
}

// A photo upload retried with its Idempotency-Key stores the photo once:
// the retry gets the first photo back, the report lists one photo, and the
// media folder holds one photo and its thumbnail. Another photo under the
// same key is 409; a refused upload leaves its key free.
func TestPhotoUpload_IdempotencyKey(t *testing.T) {
	stores(t, func(t *testing.T, env *testEnv) {
		ctx := context.Background()
		cit := registerCitizen(t, env, "0912345678", "bao-cao-2026")
		var rep, other reportResp
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &rep)
		do(t, env.app, req("POST", "/v1/reports", cit.AccessToken, validReport())).json(t, &other)
		photo := photoJPEG(t)
		upload := func(reportID, key string, data []byte) response {
			t.Helper()
			r := multipartPhoto(t, "/v1/reports/"+reportID+"/media", cit.AccessToken, data)
			if key != "" {
				r.Header.Set("Idempotency-Key", key)
			}
			return do(t, env.app, r)
		}
		type photoOut struct {
			ID string `json:"id"`
		}
		first := upload(rep.ID, "photo-key-1", photo)
		wantStatus(t, first, http.StatusCreated)
		var p1, p2 photoOut
		first.json(t, &p1)
		if first.Header.Get("Idempotent-Replayed") != "" {
			t.Fatal("the first upload says it was replayed")
		}
		retry := upload(rep.ID, "photo-key-1", photo)
		wantStatus(t, retry, http.StatusCreated)
		retry.json(t, &p2)
		if p2.ID != p1.ID || retry.Header.Get("Idempotent-Replayed") != "true" || retry.Header.Get("Location") != "/v1/media/"+p1.ID {
			t.Fatalf("retry: photo %s, replayed %q, Location %q; want %s, true, /v1/media/%s", p2.ID, retry.Header.Get("Idempotent-Replayed"), retry.Header.Get("Location"), p1.ID, p1.ID)
		}
		list, err := env.store.Media().ListMedia(ctx, rep.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("after a retried upload the report has %d photos (%v), want 1", len(list), err)
		}
		if env.mongo == nil && mediaFiles(t, env) != 2 {
			t.Fatalf("media folder holds %d files, want 2 (the photo and its thumbnail)", mediaFiles(t, env))
		}
		var seen reportResp
		do(t, env.app, req("GET", "/v1/reports/"+rep.ID, cit.AccessToken, nil)).json(t, &seen)
		if len(seen.Photos) != 1 || seen.Photos[0].ID != p1.ID {
			t.Fatalf("the report shows %d photos, want the one (%s)", len(seen.Photos), p1.ID)
		}

		// The same key with another photo is refused; so is a malformed key.
		wantProblem(t, upload(rep.ID, "photo-key-1", noisyJPEG(64, 48)), http.StatusConflict)
		wantProblem(t, upload(rep.ID, "bad key", photo), http.StatusUnprocessableEntity)
		// Keys are per report: the same key on another report is a new photo.
		wantStatus(t, upload(other.ID, "photo-key-1", photo), http.StatusCreated)
		// A refused upload (not an image) does not take its key.
		if r := upload(rep.ID, "photo-key-2", []byte("not an image at all")); r.StatusCode < 400 || r.StatusCode >= 500 {
			t.Fatalf("a non-image: got %d, want a 4xx refusal", r.StatusCode)
		}
		wantStatus(t, upload(rep.ID, "photo-key-2", noisyJPEG(64, 48)), http.StatusCreated)

		// Concurrent retries of one upload store one photo.
		var wg sync.WaitGroup
		codes := make([]int, 4)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := multipartPhoto(t, "/v1/reports/"+rep.ID+"/media", cit.AccessToken, noisyJPEG(80, 60))
				r.Header.Set("Idempotency-Key", "photo-key-3")
				resp, err := env.app.Test(r, -1)
				if err == nil {
					codes[i] = resp.StatusCode
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		created := 0
		for _, c := range codes {
			switch c {
			case http.StatusCreated:
				created++
			case http.StatusConflict: // the first is still at work
			default:
				t.Fatalf("concurrent retries answered %v, want 201s and 409s", codes)
			}
		}
		list, _ = env.store.Media().ListMedia(ctx, rep.ID)
		if created == 0 || len(list) != 3 {
			t.Fatalf("concurrent retries: %v; the report has %d photos, want 3", codes, len(list))
		}
		if env.mongo == nil && mediaFiles(t, env) != 8 {
			t.Fatalf("media folder holds %d files, want 8 (4 photos with thumbnails)", mediaFiles(t, env))
		}
	})
}
