// Package sqlite implements the service's stores on an embedded SQLite
// database (modernc.org/sqlite, pure Go) in WAL mode: the zero-setup default.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"camaug/feedback"
	"camaug/internal/apperr"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open database: one single-connection pool for writes, so writers
// queue in Go instead of failing with "database is locked", and a wider
// read-only pool.
type DB struct {
	path  string
	write *sql.DB
	read  *readDB
	group groupCommit // the report store's group commits
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q must not contain ? or #", path)
	}
	// Pragmas go in the DSN so every pooled connection gets them;
	// busy_timeout first so the others wait instead of failing.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)") // an acknowledged write survives a crash or power cut
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	// The writer keeps its sub-journal in memory: each job of a group
	// commit runs in a savepoint, which copies every page it changes to
	// the sub-journal first, and in a temporary file that was a pwrite per
	// page (most of a report insert's time). It is emptied when each
	// job's savepoint is released.
	w := url.Values{}
	for k, v := range q {
		w[k] = v
	}
	w.Add("_pragma", "temp_store(MEMORY)")
	dsn := "file:" + path + "?" + w.Encode()

	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	db := &DB{path: path, write: write}
	if err := db.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}
	q.Add("_pragma", "query_only(1)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	// Keep them all open: database/sql keeps two idle by default, so under
	// load the others were closed and reopened (pragmas, prepared
	// statements and page cache lost) on nearly every query.
	read.SetMaxIdleConns(max(4, runtime.NumCPU()*2))
	read.SetConnMaxIdleTime(0)
	db.read = &readDB{DB: read}
	return db, nil
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close closes both pools.
func (db *DB) Close() error {
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	errs = append(errs, db.write.Close())
	return errors.Join(errs...)
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return apperr.Unavailable(err)
	}
	return nil
}

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction together with its record.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("sqlite: migration %s: name must start with a number and _", base)
		}
		var applied int
		if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&applied); err != nil {
			return err
		}
		if applied > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = db.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				version, base, time.Now().UTC().Format(time.RFC3339))
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", base, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction, committing if it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isUniqueViolation reports whether err is a primary key or unique
// constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// Reference returns the reference data store.
func (db *DB) Reference() feedback.ReferenceStore { return &ReferenceStore{db: db} }
