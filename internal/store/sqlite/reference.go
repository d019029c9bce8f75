package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"camaug/feedback"
	"camaug/internal/apperr"
)

// ReferenceStore implements feedback.ReferenceStore.
type ReferenceStore struct{ db *DB }

var _ feedback.ReferenceStore = (*ReferenceStore)(nil)

// Categories returns the category store.
func (s *ReferenceStore) Categories() feedback.EntityStore[feedback.Category] {
	return entityStore[feedback.Category]{s.db}
}

// Agencies returns the agency store.
func (s *ReferenceStore) Agencies() feedback.EntityStore[feedback.Agency] {
	return entityStore[feedback.Agency]{s.db}
}

// Areas returns the area store.
func (s *ReferenceStore) Areas() feedback.EntityStore[feedback.Area] {
	return entityStore[feedback.Area]{s.db}
}

// RoutingRules returns the routing rule store.
func (s *ReferenceStore) RoutingRules() feedback.EntityStore[feedback.RoutingRule] {
	return entityStore[feedback.RoutingRule]{s.db}
}

const calendarKind, calendarCode = "calendar", "default"

// Calendar returns the stored calendar.
func (s *ReferenceStore) Calendar(ctx context.Context) (feedback.Calendar, error) {
	var doc string
	err := s.db.read.QueryRowContext(ctx, `SELECT doc FROM reference_entities WHERE kind = ? AND code = ?`, calendarKind, calendarCode).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return feedback.Calendar{}, feedback.ErrNoCalendar()
	}
	if err != nil {
		return feedback.Calendar{}, apperr.Internal(err)
	}
	var c feedback.Calendar
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return feedback.Calendar{}, apperr.Internal(err)
	}
	return c, nil
}

// SetCalendar stores the calendar, replacing any other.
func (s *ReferenceStore) SetCalendar(ctx context.Context, c feedback.Calendar) error {
	if err := c.Validate(); err != nil {
		return err
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = s.db.write.ExecContext(ctx, `INSERT INTO reference_entities (kind, code, doc) VALUES (?, ?, ?)
		ON CONFLICT (kind, code) DO UPDATE SET doc = excluded.doc`, calendarKind, calendarCode, string(doc))
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}

// Load returns all reference data; one SELECT is one consistent snapshot.
func (s *ReferenceStore) Load(ctx context.Context) (*feedback.Reference, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT kind, doc FROM reference_entities ORDER BY kind, code`)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	ref := &feedback.Reference{}
	for rows.Next() {
		var kind, doc string
		if err := rows.Scan(&kind, &doc); err != nil {
			return nil, apperr.Internal(err)
		}
		if err := decodeInto(ref, kind, []byte(doc)); err != nil {
			return nil, apperr.Internal(err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return ref, nil
}

// decodeInto appends one stored entity to ref.
func decodeInto(ref *feedback.Reference, kind string, doc []byte) error {
	var err error
	switch kind {
	case feedback.Category{}.RefKind():
		ref.Categories, err = appendDecoded(ref.Categories, doc)
	case feedback.Agency{}.RefKind():
		ref.Agencies, err = appendDecoded(ref.Agencies, doc)
	case feedback.Area{}.RefKind():
		ref.Areas, err = appendDecoded(ref.Areas, doc)
	case feedback.RoutingRule{}.RefKind():
		ref.RoutingRules, err = appendDecoded(ref.RoutingRules, doc)
	case calendarKind:
		err = json.Unmarshal(doc, &ref.Calendar)
	default:
		err = fmt.Errorf("unknown reference kind %q", kind)
	}
	return err
}

func appendDecoded[T any](list []T, doc []byte) ([]T, error) {
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return list, err
	}
	return append(list, v), nil
}

// Replace swaps all reference data in one transaction.
func (s *ReferenceStore) Replace(ctx context.Context, ref *feedback.Reference) error {
	type row struct {
		kind, code string
		v          any
	}
	var rowsIn []row
	for _, v := range ref.Categories {
		rowsIn = append(rowsIn, row{v.RefKind(), v.Code, v})
	}
	for _, v := range ref.Agencies {
		rowsIn = append(rowsIn, row{v.RefKind(), v.Code, v})
	}
	for _, v := range ref.Areas {
		rowsIn = append(rowsIn, row{v.RefKind(), v.Code, v})
	}
	for _, v := range ref.RoutingRules {
		rowsIn = append(rowsIn, row{v.RefKind(), v.Code, v})
	}
	if !ref.Calendar.IsZero() {
		rowsIn = append(rowsIn, row{calendarKind, calendarCode, ref.Calendar})
	}
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reference_entities`); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO reference_entities (kind, code, doc) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range rowsIn {
			doc, err := json.Marshal(r.v)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, r.kind, r.code, string(doc)); err != nil {
				if isUniqueViolation(err) {
					return feedback.ErrEntityExists(r.kind, r.code)
				}
				return err
			}
		}
		return nil
	})
	if apperr.CodeOf(err) == apperr.EINTERNAL {
		return apperr.Internal(err)
	}
	return err
}

// entityStore keeps one kind of entity as JSON rows.
type entityStore[T feedback.Entity] struct{ db *DB }

func (s entityStore[T]) kind() string {
	var zero T
	return zero.RefKind()
}

func (s entityStore[T]) Create(ctx context.Context, v T) error {
	if err := v.Validate(); err != nil {
		return err
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return apperr.Internal(err)
	}
	_, err = s.db.write.ExecContext(ctx, `INSERT INTO reference_entities (kind, code, doc) VALUES (?, ?, ?)`, s.kind(), v.RefKey(), string(doc))
	if isUniqueViolation(err) {
		return feedback.ErrEntityExists(s.kind(), v.RefKey())
	}
	if err != nil {
		return apperr.Internal(err)
	}
	return nil
}

func (s entityStore[T]) Get(ctx context.Context, code string) (T, error) {
	var v T
	var doc string
	err := s.db.read.QueryRowContext(ctx, `SELECT doc FROM reference_entities WHERE kind = ? AND code = ?`, s.kind(), code).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return v, feedback.ErrEntityNotFound(s.kind(), code)
	}
	if err != nil {
		return v, apperr.Internal(err)
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return v, apperr.Internal(err)
	}
	return v, nil
}

func (s entityStore[T]) List(ctx context.Context) ([]T, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT doc FROM reference_entities WHERE kind = ? ORDER BY code`, s.kind())
	if err != nil {
		return nil, apperr.Internal(err)
	}
	defer rows.Close()
	list := []T{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, apperr.Internal(err)
		}
		if list, err = appendDecoded(list, []byte(doc)); err != nil {
			return nil, apperr.Internal(err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return list, nil
}

func (s entityStore[T]) Update(ctx context.Context, v T) error {
	if err := v.Validate(); err != nil {
		return err
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return apperr.Internal(err)
	}
	res, err := s.db.write.ExecContext(ctx, `UPDATE reference_entities SET doc = ? WHERE kind = ? AND code = ?`, string(doc), s.kind(), v.RefKey())
	return s.affected(res, err, v.RefKey())
}

func (s entityStore[T]) Delete(ctx context.Context, code string) error {
	res, err := s.db.write.ExecContext(ctx, `DELETE FROM reference_entities WHERE kind = ? AND code = ?`, s.kind(), code)
	return s.affected(res, err, code)
}

func (s entityStore[T]) affected(res sql.Result, err error, code string) error {
	if err != nil {
		return apperr.Internal(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return apperr.Internal(err)
	}
	if n == 0 {
		return feedback.ErrEntityNotFound(s.kind(), code)
	}
	return nil
}
