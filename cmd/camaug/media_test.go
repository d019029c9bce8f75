package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"camaug/internal/store/mongo/mongotest"
)

// fakeS3 starts a real S3-protocol server (gofakes3, memory backend) on a
// loopback listener, with one bucket, and returns its host:port.
func fakeS3(t *testing.T, bucket string) (string, *s3mem.Backend) {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL)
	return u.Host, backend
}

func s3Env(endpoint, bucket string) []string {
	return []string{"CAMAUG_MEDIA_S3_ENDPOINT", endpoint, "CAMAUG_MEDIA_S3_BUCKET", bucket,
		"CAMAUG_MEDIA_S3_ACCESS_KEY", "camaug-test", "CAMAUG_MEDIA_S3_SECRET_KEY", "camaug-test-secret",
		"CAMAUG_MEDIA_S3_REGION", "us-east-1", "CAMAUG_MEDIA_S3_USE_SSL", "false"}
}

func objectBytes(t *testing.T, b *s3mem.Backend, bucket, key string) []byte {
	t.Helper()
	obj, err := b.GetObject(bucket, key, nil)
	if err != nil {
		t.Fatalf("object %s is not in the bucket: %v", key, err)
	}
	defer obj.Contents.Close()
	data, _ := io.ReadAll(obj.Contents)
	return data
}

// TestMediaS3_SharedByInstances: two instances on one MongoDB database and
// one bucket. A photo uploaded through the first is stored in the bucket
// and served by the second, to those who may see it only.
func TestMediaS3_SharedByInstances(t *testing.T) {
	endpoint, backend := fakeS3(t, "camaug-media")
	srv := mongotest.Start(t)
	common := append([]string{"CAMAUG_ADDR", "127.0.0.1:0", "MONGODB_URI", srv.URI, "CAMAUG_MONGODB_DATABASE", srv.Database,
		"CAMAUG_KEY_SECRET", "media-test-key-secret-0123456789"}, s3Env(endpoint, "camaug-media")...)
	a, _ := startServer(t, env(append(common, "CAMAUG_DATA_DIR", t.TempDir())...))
	b, _ := startServer(t, env(append(common, "CAMAUG_DATA_DIR", t.TempDir())...))

	tok := guestToken(t, a, "device-media-0001")
	rep := submit(t, a, tok, "cap-thoat-nuoc", "Ngập nước đường Phan Ngọc Hiển", 9.1769, 105.1524)
	id := uploadPhoto(t, a, tok, rep, testJPEG(t, 200))

	stored := objectBytes(t, backend, "camaug-media", id+".jpg")
	thumb := objectBytes(t, backend, "camaug-media", id+".thumb.jpg")
	for _, c := range []struct {
		path string
		want []byte
	}{{"/v1/media/" + id, stored}, {"/v1/media/" + id + "/thumb", thumb}} {
		code, got := apiCall(t, "GET", b+c.path, tok, nil)
		if code != http.StatusOK || !bytes.Equal(got, c.want) {
			t.Fatalf("GET %s on the other instance: got %d and %d bytes, want 200 and the bucket's %d bytes", c.path, code, len(got), len(c.want))
		}
	}
	// The report is not public yet: the photo stays behind the server's checks.
	if code, _ := apiCall(t, "GET", b+"/v1/media/"+id, "", nil); code != http.StatusUnauthorized {
		t.Fatalf("anonymous read of a private report's photo: got %d, want 401", code)
	}
	other := guestToken(t, b, "device-media-0002")
	if code, _ := apiCall(t, "GET", b+"/v1/media/"+id, other, nil); code != http.StatusNotFound {
		t.Fatalf("another user reads the photo: got %d, want 404", code)
	}
}

// TestMediaS3_SQLiteKeepsNoFiles: with a bucket configured, the embedded
// store keeps the photo's metadata and the bucket its bytes.
func TestMediaS3_SQLiteKeepsNoFiles(t *testing.T) {
	endpoint, backend := fakeS3(t, "photos")
	dir := t.TempDir()
	base, _ := startServer(t, env(append([]string{"CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_DATA_DIR", dir}, s3Env(endpoint, "photos")...)...))
	tok := guestToken(t, base, "device-media-0003")
	rep := submit(t, base, tok, "cap-thoat-nuoc", "Ngập nước", 9.1769, 105.1524)
	id := uploadPhoto(t, base, tok, rep, testJPEG(t, 90))
	code, got := apiCall(t, "GET", base+"/v1/media/"+id, tok, nil)
	if code != http.StatusOK || !bytes.Equal(got, objectBytes(t, backend, "photos", id+".jpg")) {
		t.Fatalf("GET photo: %d, %d bytes; want 200 and the bucket's bytes", code, len(got))
	}
	if _, err := os.Stat(filepath.Join(dir, "media")); !os.IsNotExist(err) {
		t.Fatalf("the data folder has a media folder (%v); photos should be in the bucket only", err)
	}
}

func TestMediaS3_Config(t *testing.T) {
	endpoint, _ := fakeS3(t, "photos")
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"no bucket", []string{"CAMAUG_MEDIA_S3_ENDPOINT", endpoint, "CAMAUG_MEDIA_S3_ACCESS_KEY", "k", "CAMAUG_MEDIA_S3_SECRET_KEY", "s"}, "CAMAUG_MEDIA_S3_BUCKET is required"},
		{"bad ssl", append(s3Env(endpoint, "photos"), "CAMAUG_MEDIA_S3_USE_SSL", "maybe"), "CAMAUG_MEDIA_S3_USE_SSL"},
		{"scheme", s3Env("http://"+endpoint, "photos"), "without a scheme"},
		{"missing bucket", s3Env(endpoint, "nowhere"), `bucket "nowhere" does not exist`},
	} {
		t.Run(c.name, func(t *testing.T) {
			kv := append([]string{"CAMAUG_ADDR", "127.0.0.1:0", "CAMAUG_METRICS_ADDR", "off", "CAMAUG_DATA_DIR", t.TempDir()}, c.env...)
			if c.name == "bad ssl" { // the later value wins in env()
				kv = append(kv, "CAMAUG_MEDIA_S3_USE_SSL", "maybe")
			}
			err := run(context.Background(), []string{"camaug"}, env(kv...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
}
