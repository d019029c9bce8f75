package main

import (
	"context"
	"fmt"
	"strconv"

	"camaug/feedback"
	"camaug/internal/media"
)

// loadMediaS3 reads CAMAUG_MEDIA_S3_*: nil when no endpoint is set (photos
// stay in the store's default place: the data folder on SQLite, GridFS on
// MongoDB).
func loadMediaS3(getenv func(string) string) (*media.S3Config, error) {
	endpoint := getenv("CAMAUG_MEDIA_S3_ENDPOINT")
	if endpoint == "" {
		return nil, nil
	}
	cfg := &media.S3Config{
		Endpoint:  endpoint,
		Bucket:    getenv("CAMAUG_MEDIA_S3_BUCKET"),
		AccessKey: getenv("CAMAUG_MEDIA_S3_ACCESS_KEY"),
		SecretKey: getenv("CAMAUG_MEDIA_S3_SECRET_KEY"),
		Region:    getenv("CAMAUG_MEDIA_S3_REGION"),
		UseSSL:    true,
	}
	if v := getenv("CAMAUG_MEDIA_S3_USE_SSL"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("CAMAUG_MEDIA_S3_USE_SSL: want true or false, got %q", v)
		}
		cfg.UseSSL = b
	}
	for _, v := range []struct{ key, val string }{
		{"CAMAUG_MEDIA_S3_BUCKET", cfg.Bucket}, {"CAMAUG_MEDIA_S3_ACCESS_KEY", cfg.AccessKey}, {"CAMAUG_MEDIA_S3_SECRET_KEY", cfg.SecretKey},
	} {
		if v.val == "" {
			return nil, fmt.Errorf("%s is required with CAMAUG_MEDIA_S3_ENDPOINT", v.key)
		}
	}
	return cfg, nil
}

// mediaStore returns the photo store the service uses: the store's own
// (data folder or GridFS), or the S3 bucket when one is configured, and a
// description for the log.
func mediaStore(ctx context.Context, cfg config, st store) (feedback.MediaStore, []any, error) {
	if cfg.MediaS3 == nil {
		return st.Media(), []any{"media", "store"}, nil
	}
	blobs, err := media.OpenS3(ctx, *cfg.MediaS3)
	if err != nil {
		return nil, nil, fmt.Errorf("CAMAUG_MEDIA_S3_*: %w", err)
	}
	return st.MediaWith(blobs), []any{"media", "s3", "endpoint", cfg.MediaS3.Endpoint, "bucket", cfg.MediaS3.Bucket}, nil
}
