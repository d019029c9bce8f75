package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sort"
)

// BackupTo writes a consistent copy of the whole database to dest (which
// must not exist) while the service keeps serving: VACUUM INTO reads one
// snapshot in a read transaction, so writers go on (WAL) and the copy holds
// every transaction committed before it started and none after. The copy
// is compact and has no WAL of its own.
func (db *DB) BackupTo(ctx context.Context, dest string) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists", dest)
	}
	// A connection of its own: the write pool has one connection, and the
	// read pool is query_only.
	conn, err := sql.Open("sqlite", "file:"+db.path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("sqlite: backup into %s: %w", dest, err)
	}
	return nil
}

// Snapshot describes a database file: what a backup's manifest records and
// a restore checks.
type Snapshot struct {
	// SchemaVersion is the last migration applied.
	SchemaVersion int
	// Counts holds the number of rows of every table.
	Counts map[string]int64
	// MediaIDs lists every stored photo, in ID order.
	MediaIDs []string
}

// Inspect reads a database file that nobody writes (a backup copy),
// without changing it or creating any file beside it.
func Inspect(ctx context.Context, path string) (Snapshot, error) {
	var snap Snapshot
	if _, err := os.Stat(path); err != nil {
		return snap, err
	}
	conn, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&immutable=1")
	if err != nil {
		return snap, err
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&snap.SchemaVersion); err != nil {
		return snap, fmt.Errorf("sqlite: %s is not a camaug database: %w", path, err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return snap, err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return snap, err
		}
		tables = append(tables, name)
	}
	rows.Close()
	sort.Strings(tables)
	snap.Counts = map[string]int64{}
	for _, name := range tables {
		var n int64
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM "`+name+`"`).Scan(&n); err != nil {
			return snap, fmt.Errorf("sqlite: counting %s: %w", name, err)
		}
		snap.Counts[name] = n
	}
	ids, err := conn.QueryContext(ctx, `SELECT id FROM media ORDER BY id`)
	if err != nil {
		return snap, err
	}
	defer ids.Close()
	for ids.Next() {
		var id string
		if err := ids.Scan(&id); err != nil {
			return snap, err
		}
		snap.MediaIDs = append(snap.MediaIDs, id)
	}
	return snap, ids.Err()
}
