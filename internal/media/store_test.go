package media_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"camaug/internal/media"
)

// TestStore runs the same checks on the local folder and on an S3 bucket
// served by a real S3-protocol server on a loopback listener.
func TestStore(t *testing.T) {
	stores := map[string]func(t *testing.T) media.Store{
		"dir": func(t *testing.T) media.Store { return media.Dir(t.TempDir()) },
		"s3": func(t *testing.T) media.Store {
			backend := s3mem.New()
			srv := httptest.NewServer(gofakes3.New(backend).Server())
			t.Cleanup(srv.Close)
			backend.CreateBucket("photos")
			u, _ := url.Parse(srv.URL)
			s, err := media.OpenS3(context.Background(), media.S3Config{Endpoint: u.Host, Bucket: "photos",
				AccessKey: "k", SecretKey: "s", Region: "us-east-1"})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	ctx := context.Background()
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			photo, thumb := media.Keys("01JD7Z9ABCDEF")
			if _, err := s.Get(ctx, photo); !errors.Is(err, media.ErrNotFound) {
				t.Fatalf("Get of a missing key: got %v, want ErrNotFound", err)
			}
			if err := s.Put(ctx, photo, []byte("photo-1")); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, thumb, []byte("thumb")); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, photo, []byte("photo-2")); err != nil { // replaces
				t.Fatal(err)
			}
			if got, err := s.Get(ctx, photo); err != nil || !bytes.Equal(got, []byte("photo-2")) {
				t.Fatalf("Get: got %q, %v; want photo-2", got, err)
			}
			if err := s.Delete(ctx, photo); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, photo); err != nil {
				t.Fatalf("deleting a missing key: %v", err)
			}
			if _, err := s.Get(ctx, photo); !errors.Is(err, media.ErrNotFound) {
				t.Fatalf("Get after Delete: got %v, want ErrNotFound", err)
			}
			if got, _ := s.Get(ctx, thumb); string(got) != "thumb" {
				t.Fatalf("the thumbnail went with the photo: got %q", got)
			}
			for _, bad := range []string{"../../etc/passwd", "a/b.jpg", ".hidden.jpg"} {
				if err := s.Put(ctx, bad, []byte("x")); err == nil {
					t.Fatalf("Put(%q) was accepted", bad)
				}
			}
		})
	}
}
