package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/atomicfile"
	"camaug/internal/i18n"
)

// MediaStore implements feedback.MediaStore: metadata in the database,
// bytes in files beside it (media/xx/ID.jpg and ID.thumb.jpg).
type MediaStore struct {
	db  *DB
	dir string
}

var _ feedback.MediaStore = (*MediaStore)(nil)

// Media returns the photo store, keeping files in the media folder next to
// the database file.
func (db *DB) Media() feedback.MediaStore {
	return &MediaStore{db: db, dir: filepath.Join(filepath.Dir(db.path), "media")}
}

func (s *MediaStore) path(id string, thumb bool) string {
	name := id + ".jpg"
	if thumb {
		name = id + ".thumb.jpg"
	}
	return filepath.Join(s.dir, id[len(id)-2:], name)
}

// AddMedia writes the files first and then the row, in a transaction that
// counts the report's photos: a photo exists once its row does, and a row
// never points at a missing file.
func (s *MediaStore) AddMedia(ctx context.Context, m feedback.Media, data, thumb []byte, max int) error {
	main, small := s.path(m.ID, false), s.path(m.ID, true)
	if err := atomicfile.Write(main, data); err != nil {
		return apperr.Internal(err)
	}
	if err := atomicfile.Write(small, thumb); err != nil {
		os.Remove(main)
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
		os.Remove(main)
		os.Remove(small)
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
	data, err := os.ReadFile(s.path(id, thumb))
	if errors.Is(err, os.ErrNotExist) {
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
