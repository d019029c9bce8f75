package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"camaug/internal/atomicfile"
)

// ErrNotFound is returned by a Store's Get for a key it does not hold.
var ErrNotFound = errors.New("media: object not found")

// Store keeps the bytes of stored photos (already re-encoded, without
// metadata) under keys such as "ID.jpg" and "ID.thumb.jpg". Metadata and
// the rules on who may read a photo stay in the database and the service:
// a Store is never reached by a client directly.
type Store interface {
	// Put writes an object, replacing any with the same key.
	Put(ctx context.Context, key string, data []byte) error
	// Get returns an object's bytes, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes an object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}

// Keys returns the keys of a photo and of its thumbnail.
func Keys(id string) (photo, thumb string) { return id + ".jpg", id + ".thumb.jpg" }

// validKey keeps keys to one plain file name, so that no key can reach
// outside a Dir or name another bucket's prefix.
func validKey(key string) bool {
	return len(key) >= 6 && !strings.ContainsAny(key, `/\`) && !strings.HasPrefix(key, ".") && !strings.Contains(key, "..")
}

// Dir is the local folder store, the default: each object is a file at
// DIR/xx/KEY, where xx are the last two characters of the photo's ID (so
// that no folder grows too large), the layout the service always used.
type Dir string

var _ Store = Dir("")

func (d Dir) path(key string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("media: invalid key %q", key)
	}
	id, _, _ := strings.Cut(key, ".")
	if len(id) < 2 {
		return "", fmt.Errorf("media: invalid key %q", key)
	}
	return filepath.Join(string(d), id[len(id)-2:], key), nil
}

// Put writes the file atomically (a reader never sees half a photo).
func (d Dir) Put(_ context.Context, key string, data []byte) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	return atomicfile.Write(p, data)
}

// Get reads the file.
func (d Dir) Get(_ context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, ErrNotFound
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return data, err
}

// Delete removes the file.
func (d Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// S3Config is an S3-compatible object store (AWS S3, MinIO, Ceph RGW...).
type S3Config struct {
	Endpoint  string // host[:port], no scheme: "s3.ap-southeast-1.amazonaws.com", "minio:9000"
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // may be empty for MinIO
	UseSSL    bool   // https to the endpoint; false only inside a private network
	// Transport, when set, carries the requests (tests).
	Transport http.RoundTripper
}

// S3 is an object store shared by every instance of the service, so that a
// photo uploaded through one is served by all.
type S3 struct {
	client *minio.Client
	bucket string
}

var _ Store = (*S3)(nil)

// OpenS3 connects to the bucket and checks that it exists (the service
// never creates buckets: their policy and lifecycle are the operator's).
func OpenS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("media: the S3 store needs an endpoint, a bucket, an access key and a secret key")
	}
	if strings.Contains(cfg.Endpoint, "://") {
		return nil, fmt.Errorf("media: the S3 endpoint is host[:port] without a scheme (use the SSL setting), got %q", cfg.Endpoint)
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.UseSSL,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("media: S3 client: %w", err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("media: S3 bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("media: S3 bucket %q does not exist at %s", cfg.Bucket, cfg.Endpoint)
	}
	return &S3{client: c, bucket: cfg.Bucket}, nil
}

// Put uploads the object with its length known, in one request.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	if !validKey(key) {
		return fmt.Errorf("media: invalid key %q", key)
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "image/jpeg", DisableMultipart: true})
	if err != nil {
		return fmt.Errorf("media: S3 put %s: %w", key, err)
	}
	return nil
}

// Get downloads the object.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if !validKey(key) {
		return nil, ErrNotFound
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("media: S3 get %s: %w", key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("media: S3 get %s: %w", key, err)
	}
	return data, nil
}

// Delete removes the object.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !validKey(key) {
		return fmt.Errorf("media: invalid key %q", key)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil &&
		minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return fmt.Errorf("media: S3 delete %s: %w", key, err)
	}
	return nil
}
