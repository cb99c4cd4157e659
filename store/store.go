// Package store is the only package that speaks SQL. It keeps feeds, items,
// events and their state in SQLite (the default: a pure-Go embedded file) and
// is written in portable SQL so that PostgreSQL can share the same queries and
// the same test suite.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is a handle on Herald's database.
type Store struct {
	db      *sql.DB
	dialect dialect

	stmts map[string]*sql.Stmt // hot statements, prepared once at Open
}

// dialect holds the few things that differ between databases.
type dialect struct {
	name     string
	idColumn string // auto-increment primary key DDL
	// rebind turns the '?' placeholders used in this package's queries into
	// the driver's own form.
	rebind func(string) string
}

var sqlite = dialect{
	name:     "sqlite",
	idColumn: "INTEGER PRIMARY KEY",
	rebind:   func(q string) string { return q },
}

// Open opens (creating if needed) the database named by dsn and brings its
// schema up to date. A dsn without a scheme is a SQLite file path.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return nil, fmt.Errorf("open store: PostgreSQL is not supported yet; use a SQLite file path in `storage`")
	}
	file := strings.TrimPrefix(dsn, "sqlite:")
	if file == "" {
		return nil, errors.New("open store: empty storage path; set `storage: herald.db` in the config")
	}
	// busy_timeout lets a second process (herald feeds, herald poll) wait for
	// the daemon's write instead of failing; immediate transactions avoid the
	// deadlock of two readers upgrading to writers at once.
	u := "file:" + file + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", u)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", file, err)
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// never sees SQLITE_BUSY from itself.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, dialect: sqlite, stmts: map[string]*sql.Stmt{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", file, err)
	}
	if err := s.prepareHot(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", file, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

func (s *Store) q(query string) string { return s.dialect.rebind(query) }

// migrate applies the embedded migrations that have not run yet, each in its
// own transaction, and refuses a database written by a newer Herald.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	files, err := migrationFiles()
	if err != nil {
		return err
	}
	if latest := len(files); current > latest {
		return fmt.Errorf("database schema is version %d but this Herald knows only up to %d: upgrade Herald or use another storage file", current, latest)
	}
	for i, name := range files {
		if version := i + 1; version > current {
			if err := s.applyMigration(ctx, version, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// migrationFiles lists migrations in order; their names start with 0001, 0002, ...
func migrationFiles() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for i, name := range names {
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || n != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %04d", name, i+1)
		}
	}
	return names, nil
}

func (s *Store) applyMigration(ctx context.Context, version int, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	ddl := strings.ReplaceAll(string(body), "{{ID}}", s.dialect.idColumn)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
		version, ms(time.Now())); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	return tx.Commit()
}

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

// inTx runs fn in a transaction and commits when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*txn) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(&txn{Tx: tx, s: s, stmts: map[string]*sql.Stmt{}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
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
