package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxCachedStatements bounds the statement cache: the stores issue a few
// hundred distinct statements (the feed's and queues' filter combinations
// included), so a statement built from unbounded input would stop being
// cached rather than grow it.
const maxCachedStatements = 2000

// readDB is the read pool with its statements prepared once and kept:
// parsing and planning a statement cost a fifth of a feed request's CPU
// (issue 13's profile) when database/sql prepared it on every query.
type readDB struct {
	*sql.DB
	stmts sync.Map // query text → *sql.Stmt
	count atomic.Int32
}

// stmt returns the prepared statement for q, preparing it the first time;
// nil when the cache is full.
func (r *readDB) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := r.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	if r.count.Load() >= maxCachedStatements {
		return nil, nil
	}
	st, err := r.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := r.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	r.count.Add(1)
	return st, nil
}

// QueryContext runs q through its cached statement.
func (r *readDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return r.DB.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs q through its cached statement.
func (r *readDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := r.stmt(ctx, q)
	if err != nil || st == nil {
		// The pool reports the error (or runs the uncached query) itself.
		return r.DB.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Close closes the cached statements, then the pool.
func (r *readDB) Close() error {
	r.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return r.DB.Close()
}
