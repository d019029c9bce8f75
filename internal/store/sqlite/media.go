package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/i18n"
	"camaug/internal/media"
)

// MediaStore implements feedback.MediaStore: metadata in the database,
// bytes in a media.Store (by default files beside the database,
// media/xx/ID.jpg and ID.thumb.jpg).
type MediaStore struct {
	db    *DB
	blobs media.Store
}

var _ feedback.MediaStore = (*MediaStore)(nil)

// Media returns the photo store, keeping files in the media folder next to
// the database file.
func (db *DB) Media() feedback.MediaStore { return db.MediaWith(db.MediaDir()) }

// MediaDir is the default store of photo bytes: the media folder next to
// the database file.
func (db *DB) MediaDir() media.Dir { return media.Dir(filepath.Join(filepath.Dir(db.path), "media")) }

// MediaWith returns the photo store keeping the bytes in blobs (an object
// store shared by several instances, for example).
func (db *DB) MediaWith(blobs media.Store) feedback.MediaStore {
	return &MediaStore{db: db, blobs: blobs}
}

// AddMedia writes the files first and then the row, in a transaction that
// counts the report's photos: a photo exists once its row does, and a row
// never points at a missing file.
func (s *MediaStore) AddMedia(ctx context.Context, m feedback.Media, data, thumb []byte, max int) error {
	main, small := media.Keys(m.ID)
	bg := context.WithoutCancel(ctx)
	if err := s.blobs.Put(ctx, main, data); err != nil {
		return apperr.Internal(err)
	}
	if err := s.blobs.Put(ctx, small, thumb); err != nil {
		s.blobs.Delete(bg, main)
		return apperr.Internal(err)
	}
	res, err := s.db.write.ExecContext(ctx, `INSERT INTO media (id, report_id, content_type, width, height, thumb_width, thumb_height, size, thumb_size, created_at)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT count(*) FROM media WHERE report_id = ?) < ?`,
		m.ID, m.ReportID, m.ContentType, m.Width, m.Height, m.ThumbWidth, m.ThumbHeight, m.Size, m.ThumbSize, ts(m.CreatedAt), m.ReportID, max)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			err = apperr.ConflictOf(apperr.KindLimit, i18n.T("Đã đủ số ảnh", "the report has all its photos"))
		}
	}
	if err != nil {
		s.blobs.Delete(bg, main)
		s.blobs.Delete(bg, small)
		if apperr.CodeOf(err) == apperr.ECONFLICT {
			return err
		}
		return apperr.Internal(err)
	}
	return nil
}

const mediaColumns = `id, report_id, content_type, width, height, thumb_width, thumb_height, size, thumb_size, created_at`

func scanMedia(row scanner) (feedback.Media, error) {
	var m feedback.Media
	var created string
	err := row.Scan(&m.ID, &m.ReportID, &m.ContentType, &m.Width, &m.Height, &m.ThumbWidth, &m.ThumbHeight, &m.Size, &m.ThumbSize, &created)
	m.CreatedAt = parseTS(created)
	return m, err
}

// GetMedia returns a photo's metadata.
func (s *MediaStore) GetMedia(ctx context.Context, id string) (feedback.Media, error) {
	m, err := scanMedia(s.db.read.QueryRowContext(ctx, `SELECT `+mediaColumns+` FROM media WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, apperr.NotFound(i18n.T("Không tìm thấy ảnh", "photo not found"))
	}
	return m, apperr.InternalOrNil(err)
}

// ReadMedia returns a photo's bytes.
func (s *MediaStore) ReadMedia(ctx context.Context, id string, thumb bool) ([]byte, error) {
	if len(id) < 2 {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy ảnh", "photo not found"))
	}
	key, small := media.Keys(id)
	if thumb {
		key = small
	}
	data, err := s.blobs.Get(ctx, key)
	if errors.Is(err, media.ErrNotFound) {
		return nil, apperr.NotFound(i18n.T("Không tìm thấy ảnh", "photo not found"))
	}
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("reading photo %s: %w", id, err))
	}
	return data, nil
}

// ListMedia returns a report's photos, oldest first.
func (s *MediaStore) ListMedia(ctx context.Context, reportID string) ([]feedback.Media, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+mediaColumns+` FROM media WHERE report_id = ? ORDER BY id`, reportID)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	out := []feedback.Media{}
	for rows.Next() {
		m, err := scanMedia(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, m)
	}
	return out, apperr.InternalOrNil(rows.Err())
}
