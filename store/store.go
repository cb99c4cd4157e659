// Package store is the only package that speaks SQL. It keeps feeds, items,
// events and their state in SQLite (the default: a pure-Go embedded file) or
// in PostgreSQL (when several Herald instances share the work), with one set
// of portable queries and one test suite for both. Beside the tables it
// keeps the rules that coordinate through them: the instances' leases and
// leader lock (Coordinator, leases.go) and the retention period (Prune,
// Retaining).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned when a looked-up row does not exist. It also
// says so by a NotFound method, for the consumers that declare the store
// interface they read through and do not import this package (web).
var ErrNotFound error = notFound{}

type notFound struct{}

func (notFound) Error() string  { return "not found" }
func (notFound) NotFound() bool { return true }

// Store is a handle on Herald's database.
type Store struct {
	db      *sql.DB
	dialect dialect
	name    string // the database, for messages (no password)
	// lockSpace tells apart the advisory locks of Herald databases that
	// live in different schemas of one PostgreSQL database.
	lockSpace int32

	stmts  map[string]*sql.Stmt // hot statements, prepared once at Open
	health writeHealth          // whether the last write went through (health.go)
	trips  *atomic.Int64        // round trips to PostgreSQL (RoundTrips); nil on SQLite
}

// dialect holds the few things that differ between databases.
type dialect struct {
	name     string
	idColumn string // auto-increment primary key DDL
	// keyColumn is the primary key DDL of a row that extends another
	// table's row under its id ({{KEY}} in migrations).
	keyColumn string
	blobType  string // column type of raw bytes: {{BLOB}} in migrations
	// rebind turns the '?' placeholders used in this package's queries into
	// the driver's own form.
	rebind func(string) string
	// skipLocked ends a SELECT whose rows another instance may be claiming
	// at the same moment; SQLite has one writer, so it needs nothing.
	skipLocked string
	// lockMigrations serializes migrations between processes starting at
	// the same moment; it returns the unlock function.
	lockMigrations func(ctx context.Context, s *Store) (func(), error)
	// foreignKeys maps each table to the tables it references (Copy).
	foreignKeys func(ctx context.Context, db *sql.DB) (map[string][]string, error)
	// idMarks returns, per table, the largest id ever handed out (Copy).
	idMarks func(ctx context.Context, db *sql.DB) (map[string]int64, error)
	// afterCopy runs in the transaction that copied rows with their ids:
	// the tables' id generators go on after marks, the source's idMarks.
	afterCopy func(ctx context.Context, tx *txn, tables []string, marks map[string]int64) error
}

var sqlite = dialect{
	name:       "sqlite",
	idColumn:   "INTEGER PRIMARY KEY AUTOINCREMENT", // never reuses an id: store/ids.go
	keyColumn:  "INTEGER PRIMARY KEY",               // the rowid itself: one b-tree, no second index
	blobType:   "BLOB",
	rebind:     func(q string) string { return q },
	skipLocked: "",
	// Each migration runs in an immediate (write-locked) transaction that
	// re-checks whether it was applied, which is lock enough.
	lockMigrations: func(context.Context, *Store) (func(), error) { return func() {}, nil },
	foreignKeys:    foreignKeysSQLite,
	idMarks:        idMarksSQLite,
	afterCopy:      markIDsSQLite,
}

// Open opens (creating if needed) the database named by dsn and brings its
// schema up to date. A dsn starting with postgres:// or postgresql:// is a
// PostgreSQL database; anything else is a SQLite file path, with or
// without a sqlite: prefix.
func Open(ctx context.Context, dsn string) (*Store, error) {
	s, err := OpenUnmigrated(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", s.name, err)
	}
	if err := s.prepareHot(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", s.name, err)
	}
	return s, nil
}

// OpenUnmigrated connects to the database without touching its schema: for
// `herald migrate`, which shows and applies migrations itself.
func OpenUnmigrated(ctx context.Context, dsn string) (*Store, error) {
	if isPostgres(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, dsn string) (*Store, error) {
	file := strings.TrimPrefix(dsn, "sqlite:")
	if file == "" {
		return nil, errors.New("open store: empty storage path; set `storage: herald.db` in the config")
	}
	// busy_timeout lets a second process (herald feeds, herald poll) wait for
	// the daemon's write instead of failing; immediate transactions avoid the
	// deadlock of two readers upgrading to writers at once. Statement
	// journals (a multi-row statement's undo inside a transaction) stay in
	// memory: as temporary files they cost a poll a write call per page.
	// The WAL is checkpointed every 8000 pages (32 MB) rather than 1000:
	// the index pages every poll rewrites are then copied to the database
	// once per checkpoint, not eight times (BenchmarkSavePoll: 10-15%
	// faster); the WAL file keeps that size between checkpoints.
	u := "file:" + file + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(8000)&_txlock=immediate"
	db, err := sql.Open("sqlite", u)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", file, err)
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// never sees SQLITE_BUSY from itself.
	db.SetMaxOpenConns(1)
	if err := pingSQLite(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", file, err)
	}
	return &Store{db: db, dialect: sqlite, name: file, stmts: map[string]*sql.Stmt{}}, nil
}

// pingSQLite opens the first connection. Switching a new file to WAL
// needs it alone, and SQLite answers "busy" at once instead of waiting
// when two processes create the file at the same moment: so the open is
// tried again for a few seconds.
func pingSQLite(ctx context.Context, db *sql.DB) error {
	for wait := 10 * time.Millisecond; ; wait *= 2 {
		err := db.PingContext(ctx)
		if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") || wait > 5*time.Second {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Dialect names the database behind the store: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.name }

func (s *Store) q(query string) string { return s.dialect.rebind(query) }

// txn is a transaction that reuses prepared statements: the hot paths
// (saving items) run the same few statements thousands of times per poll
// pass, and preparing them anew each time costs more than running them.
type txn struct {
	*sql.Tx
	s     *Store
	stmts map[string]*sql.Stmt // bound to this transaction
}

// stmt returns query prepared for this transaction: from the statements
// prepared at Open when it is one of them (preparing on the pool here would
// wait for the single connection this transaction holds), else anew.
func (t *txn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if shared, ok := t.s.stmts[query]; ok {
		st = t.StmtContext(ctx, shared)
	} else {
		var err error
		if st, err = t.PrepareContext(ctx, t.s.q(query)); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	t.stmts[query] = st
	return st, nil
}

// exec runs a statement in the transaction.
func (t *txn) exec(ctx context.Context, query string, args ...any) error {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// scanRow runs a one-row query in the transaction and scans it into dest.
func (t *txn) scanRow(ctx context.Context, query string, args []any, dest ...any) error {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

// query runs a statement in the transaction and calls each for every row.
func (t *txn) query(ctx context.Context, query string, args []any, each func(*sql.Rows) error) error {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// prepareHot prepares the statements that run once per stored item.
func (s *Store) prepareHot(ctx context.Context) error {
	for _, q := range hotQueries {
		st, err := s.db.PrepareContext(ctx, s.q(q))
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.stmts[q] = st
	}
	return nil
}

// inTx runs fn in a transaction and commits when fn returns nil. Its
// outcome tells whether the store can write (health.go).
func (s *Store) inTx(ctx context.Context, fn func(*txn) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.noteWrite(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()
	if err := fn(&txn{Tx: tx, s: s, stmts: map[string]*sql.Stmt{}}); err != nil {
		return s.noteWrite(err)
	}
	if err := tx.Commit(); err != nil {
		return s.noteWrite(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// LimitPages caps the SQLite file at n pages, beyond which every write that
// needs a new page fails as on a full disk (SQLITE_FULL): fault injection
// for tests. n = 0 lifts the cap (to SQLite's maximum).
func (s *Store) LimitPages(ctx context.Context, n int64) error {
	if s.dialect.name != "sqlite" {
		return errors.New("limit pages: only a SQLite store has pages to limit")
	}
	if n == 0 {
		n = 1 << 32
	}
	_, err := s.db.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, n))
	return err
}

// PageCount returns how many pages the SQLite file holds.
func (s *Store) PageCount(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&n)
	return n, err
}

// ms and fromMS convert between time.Time and the stored Unix milliseconds.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// boolInt stores a bool as INTEGER 0/1, which both databases compare alike.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
