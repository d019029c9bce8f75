package mongo

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/media"
)

const (
	collMedia   = "media"
	mediaBucket = "media"
)

// mediaDoc is a photo's metadata. Slot (1..max) under a unique index with
// the report ID caps photos per report with inserts alone.
type mediaDoc struct {
	ID          string    `bson:"_id"`
	ReportID    string    `bson:"report_id"`
	Slot        int       `bson:"slot"`
	ContentType string    `bson:"content_type"`
	Width       int       `bson:"width"`
	Height      int       `bson:"height"`
	ThumbWidth  int       `bson:"thumb_width"`
	ThumbHeight int       `bson:"thumb_height"`
	Size        int       `bson:"size"`
	ThumbSize   int       `bson:"thumb_size"`
	CreatedAt   time.Time `bson:"created_at"`
}

func (d mediaDoc) media() feedback.Media {
	return feedback.Media{ID: d.ID, ReportID: d.ReportID, ContentType: d.ContentType, Width: d.Width, Height: d.Height,
		ThumbWidth: d.ThumbWidth, ThumbHeight: d.ThumbHeight, Size: d.Size, ThumbSize: d.ThumbSize, CreatedAt: d.CreatedAt}
}

func mediaIndexes() map[string][]mongo.IndexModel {
	return map[string][]mongo.IndexModel{
		collMedia: {{Keys: bson.D{{Key: "report_id", Value: 1}, {Key: "slot", Value: 1}}, Options: options.Index().SetUnique(true)}},
	}
}

// ixMediaByReport lists a report's photos in _id order.
var ixMediaByReport = servedBy(collMedia, "ListMedia", asc("report_id"), asc("_id"))

// MediaStore implements feedback.MediaStore: metadata in a collection,
// bytes in a media.Store (GridFS by default).
type MediaStore struct {
	db    *DB
	blobs media.Store
}

var _ feedback.MediaStore = (*MediaStore)(nil)

// Media returns the photo store, with the bytes in GridFS.
func (db *DB) Media() feedback.MediaStore { return db.MediaWith(db.GridFS()) }

// MediaWith returns the photo store keeping the bytes in blobs (an object
// store shared with other deployments, for example).
func (db *DB) MediaWith(blobs media.Store) feedback.MediaStore {
	return &MediaStore{db: db, blobs: blobs}
}

// GridFS is the default store of photo bytes: the database's "media"
// GridFS bucket, files named by their key and identified by the photo's
// ID ("ID" for the photo, "ID.thumb" for its thumbnail).
func (db *DB) GridFS() media.Store {
	return gridFS{db.db.GridFSBucket(options.GridFSBucket().SetName(mediaBucket))}
}

type gridFS struct{ b *mongo.GridFSBucket }

// gridFileID keeps the file IDs the store always used.
func gridFileID(key string) string {
	if id, ok := strings.CutSuffix(key, ".thumb.jpg"); ok {
		return id + ".thumb"
	}
	return strings.TrimSuffix(key, ".jpg")
}

func (g gridFS) Put(ctx context.Context, key string, data []byte) error {
	g.b.Delete(ctx, gridFileID(key)) // replace: GridFS refuses a second file with one ID
	return g.b.UploadFromStreamWithID(ctx, gridFileID(key), key, bytes.NewReader(data))
}

func (g gridFS) Get(ctx context.Context, key string) ([]byte, error) {
	var buf bytes.Buffer
	_, err := g.b.DownloadToStream(ctx, gridFileID(key), &buf)
	if errors.Is(err, mongo.ErrFileNotFound) {
		return nil, media.ErrNotFound
	}
	return buf.Bytes(), err
}

func (g gridFS) Delete(ctx context.Context, key string) error {
	if err := g.b.Delete(ctx, gridFileID(key)); err != nil && !errors.Is(err, mongo.ErrFileNotFound) {
		return err
	}
	return nil
}

// AddMedia uploads both files, then claims a free slot; with no slot left
// it deletes the files and returns ECONFLICT.
func (s *MediaStore) AddMedia(ctx context.Context, m feedback.Media, data, thumb []byte, max int) error {
	main, small := media.Keys(m.ID)
	if err := s.blobs.Put(ctx, main, data); err != nil {
		return internal(err)
	}
	drop := func() {
		bg := context.WithoutCancel(ctx)
		s.blobs.Delete(bg, main)
		s.blobs.Delete(bg, small)
	}
	if err := s.blobs.Put(ctx, small, thumb); err != nil {
		drop()
		return internal(err)
	}
	d := mediaDoc{ID: m.ID, ReportID: m.ReportID, ContentType: m.ContentType, Width: m.Width, Height: m.Height, ThumbWidth: m.ThumbWidth,
		ThumbHeight: m.ThumbHeight, Size: m.Size, ThumbSize: m.ThumbSize, CreatedAt: m.CreatedAt.UTC()}
	for slot := 1; slot <= max; slot++ {
		d.Slot = slot
		_, err := s.db.db.Collection(collMedia).InsertOne(ctx, d)
		if err == nil {
			return nil
		}
		if !isDuplicate(err) {
			drop()
			return internal(err)
		}
	}
	drop()
	return apperr.ConflictOf(apperr.KindLimit, i18n.T("Đã đủ số ảnh", "the report has all its photos"))
}

// GetMedia returns a photo's metadata.
func (s *MediaStore) GetMedia(ctx context.Context, id string) (feedback.Media, error) {
	var d mediaDoc
	err := s.db.db.Collection(collMedia).FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return feedback.Media{}, apperr.NotFound(i18n.T("Không tìm thấy ảnh", "photo not found"))
	}
	return d.media(), internal(err)
}

// ReadMedia returns a photo's bytes from the media store.
func (s *MediaStore) ReadMedia(ctx context.Context, id string, thumb bool) ([]byte, error) {
	key, small := media.Keys(id)
	if thumb {
		key = small
	}
	data, err := s.blobs.Get(ctx, key)
	if errors.Is(err, media.ErrNotFound) {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy ảnh", "photo not found"))
	}
	if err != nil {
		return nil, internal(err)
	}
	return data, nil
}

// ListMedia returns a report's photos, oldest first.
func (s *MediaStore) ListMedia(ctx context.Context, reportID string) ([]feedback.Media, error) {
	return findAll(ctx, s.db.db.Collection(collMedia), bson.D{{Key: "report_id", Value: reportID}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetHint(ixMediaByReport), mediaDoc.media)
}
