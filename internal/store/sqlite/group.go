package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"

	"camaug/internal/apperr"
)

// groupCommit commits the report store's small writes together: a report's
// idempotency claim, the report, its automatic dispatch. Each waits for an
// fsync (synchronous=FULL), so one transaction per write caps submissions
// at the disk's flush rate divided by the writes per submission. Writers
// queue their work; one goroutine runs whatever is queued, up to
// maxGroup jobs, in one transaction, each job in its own savepoint (a job
// that fails is rolled back alone and gets its own error), and tells each
// caller its outcome only once that transaction has committed: an
// acknowledged write is durable. The goroutine exits when the queue is
// empty, as the survey store's does.
type groupCommit struct {
	mu      sync.Mutex
	queue   []*groupJob
	writing bool
	commits atomic.Int64 // transactions run, for tests and curiosity
	// later holds the current group's writes that wait for its last job
	// (afterJobs). Only the writer goroutine touches it.
	later []func(ctx context.Context, tx *sql.Tx) error
}

// afterJobs, called by a job, runs fn in the job's transaction after the
// group's last job, outside any savepoint, and only if the job succeeds.
// It is for writes to FTS5 tables: FTS5 flushes its pending terms to a new
// segment at every savepoint, so a full-text row written inside a job
// cost a segment (and soon a merge) per report; written after the jobs,
// the group's rows go in one segment at the commit. If fn fails the whole
// group fails: nothing of it is stored.
func (db *DB) afterJobs(fn func(ctx context.Context, tx *sql.Tx) error) {
	db.group.later = append(db.group.later, fn)
}

// maxGroup bounds a group: enough to amortize the fsync many times over,
// small enough that the write connection is never held for long.
const maxGroup = 128

type groupJob struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error // buffered: the writer never waits for the caller
}

// grouped runs fn in a write transaction shared with other callers' jobs
// and returns once that transaction committed (fn's error if fn failed: its
// writes are then rolled back). It waits even if ctx ends meanwhile: once
// the writer has taken a job, only the commit says whether it was stored.
// A job whose ctx has ended before the writer reaches it is skipped. fn
// gets a context that no caller cancels and must use it, not its caller's:
// interrupting a statement would roll back the whole group.
func (db *DB) grouped(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g := &db.group
	g.mu.Lock()
	g.queue = append(g.queue, j)
	start := !g.writing
	g.writing = true
	g.mu.Unlock()
	if start {
		go db.drainGroup()
	}
	return <-j.done
}

// drainGroup commits queued jobs, a group at a time, until none is left.
func (db *DB) drainGroup() {
	g := &db.group
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if n == 0 {
			g.writing = false
			g.queue = nil
			g.mu.Unlock()
			return
		}
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		db.commitGroup(batch)
	}
}

// commitGroup runs a group in one transaction and tells every caller its
// outcome once the commit is done.
func (db *DB) commitGroup(batch []*groupJob) {
	// The transaction serves many callers: none of their contexts may
	// cancel it.
	ctx := context.Background()
	errs := make([]error, len(batch))
	db.group.commits.Add(1)
	g := &db.group
	defer func() { clear(g.later); g.later = g.later[:0] }() // drop what the writes held
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		g.later = g.later[:0]
		for i, j := range batch {
			if err := j.ctx.Err(); err != nil {
				errs[i] = err
				continue
			}
			if _, err := tx.ExecContext(ctx, `SAVEPOINT job`); err != nil {
				return err
			}
			later := len(g.later)
			if errs[i] = j.fn(ctx, tx); errs[i] != nil {
				g.later = g.later[:later] // a failed job's writes are all undone
				// Fails when SQLite itself rolled the transaction back (an
				// I/O error, a full disk): then the whole group fails.
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO job`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE job`); err != nil {
				return err
			}
		}
		for _, fn := range g.later {
			if err := fn(ctx, tx); err != nil {
				return err
			}
		}
		return nil
	})
	for i, j := range batch {
		e := errs[i]
		if err != nil && e == nil {
			e = apperr.Internal(err) // the transaction failed: nothing of the group is stored
		}
		j.done <- e
	}
}
