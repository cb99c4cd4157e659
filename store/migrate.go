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
)

// The schema lives in numbered SQL files, embedded in the binary, written
// in SQL both databases accept ({{ID}} becomes the dialect's id column,
// {{KEY}} the key of a row that extends another table's row under its id,
// {{BLOB}} its type of raw bytes).
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migration is one embedded schema change and when it was applied (zero
// while pending).
type Migration struct {
	Version int
	Name    string
	Applied time.Time
}

// Migrations lists every embedded migration with its state in this
// database, and refuses a database written by a newer Herald.
func (s *Store) Migrations(ctx context.Context) ([]Migration, error) {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[int]int64{}
	rows, err := s.db.QueryContext(ctx, `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	newest := 0
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read schema version: %w", err)
		}
		applied[v], newest = at, max(newest, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	list, err := migrationFiles()
	if err != nil {
		return nil, err
	}
	if latest := list[len(list)-1].Version; newest > latest {
		return nil, fmt.Errorf("database schema is version %d but this Herald knows only up to %d: upgrade Herald or use another storage file", newest, latest)
	}
	for i := range list {
		list[i].Applied = fromMS(applied[list[i].Version])
	}
	return list, nil
}

// Migrate applies the embedded migrations that have not run yet, in order,
// each in its own transaction, and returns those it applied. Instances
// starting at the same moment take turns: each migration runs once.
func (s *Store) Migrate(ctx context.Context) ([]Migration, error) {
	unlock, err := s.dialect.lockMigrations(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	defer unlock()
	list, err := s.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	var done []Migration
	for _, m := range list {
		if !m.Applied.IsZero() {
			continue
		}
		ran, err := s.applyMigration(ctx, m)
		if err != nil {
			return done, err
		}
		if ran {
			done = append(done, m)
		}
	}
	return done, nil
}

// migrationFiles lists migrations in order. A file's version is the number
// its name starts with (0001_init.sql is version 1); numbers must increase.
// A gap is allowed, so that a migration written in parallel with another
// one still applies when it arrives.
func migrationFiles() ([]Migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var list []Migration
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil || n < 1 || (len(list) > 0 && n <= list[len(list)-1].Version) {
			return nil, fmt.Errorf("migration %s: the name must start with a new, increasing number like 0002_", name)
		}
		list = append(list, Migration{Version: n, Name: name})
	}
	if len(list) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return list, nil
}

// applyMigration runs m unless another process applied it meanwhile, which
// the check inside the write transaction sees. A migration is its SQL file
// followed by its Go step, if it has one (migrationSteps).
//
// On SQLite it runs with foreign keys off and checks them before the
// commit: rebuilding a table, SQLite's way of changing a column, drops the
// old table, which would otherwise delete the rows that reference it.
func (s *Store) applyMigration(ctx context.Context, m Migration) (bool, error) {
	body, err := migrations.ReadFile(m.Name)
	if err != nil {
		return false, err
	}
	ddl := strings.NewReplacer("{{ID}}", s.dialect.idColumn, "{{KEY}}", s.dialect.keyColumn,
		"{{BLOB}}", s.dialect.blobType).Replace(string(body))
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if s.dialect.name == "sqlite" {
		if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return false, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, ddl); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	if step := migrationSteps[m.Version]; step != nil {
		if err := step(ctx, &txn{Tx: tx, s: s, stmts: map[string]*sql.Stmt{}}); err != nil {
			return false, fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if s.dialect.name == "sqlite" {
		if err := checkForeignKeys(ctx, tx); err != nil {
			return false, fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
		m.Version, ms(time.Now())); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	return true, tx.Commit()
}

// migrationSteps are the parts of migrations that portable SQL cannot say,
// by version; each runs after its file, in the same transaction.
var migrationSteps = map[int]func(ctx context.Context, tx *txn) error{
	100: autoincrementIDs,
	800: narrowItems,
}

// checkForeignKeys fails when a row of a SQLite database references a row
// that does not exist.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		return fmt.Errorf("row %d of table %s references a missing row of %s", rowid.Int64, table, parent)
	}
	return rows.Err()
}
