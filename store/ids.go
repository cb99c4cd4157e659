package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

// Ids are never handed out twice. Event ids derive from the founding
// item's id, readers and digests remember events by them, and digests
// compare the deduplicator's placement numbers: an id that came back after
// a prune would make a new story look like one already mailed. SQLite
// id columns are AUTOINCREMENT (plain INTEGER PRIMARY KEY reuses the
// largest rowid once its row is deleted), PostgreSQL's identity columns
// never go back, the placement number lives in the sequences table, and
// `herald copy` carries the ids already handed out.

// plainIntegerID finds an id column SQLite may reuse ids of.
var plainIntegerID = regexp.MustCompile(`(?i)\bid\s+INTEGER\s+PRIMARY\s+KEY\b`)

// autoincrementIDs rebuilds, on SQLite, each table whose id column is an
// INTEGER PRIMARY KEY without AUTOINCREMENT. A rebuild keeps the table's
// columns (whatever migrations added), rows, indexes and the references
// to it; the migration runs it with foreign keys off and checks them after.
func autoincrementIDs(ctx context.Context, tx *txn) error {
	if tx.s.dialect.name != "sqlite" {
		return nil // identity columns never reuse ids
	}
	tables := map[string]string{}
	err := tx.query(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`, nil,
		func(rows *sql.Rows) error {
			var name, ddl string
			if err := rows.Scan(&name, &ddl); err != nil {
				return err
			}
			if plainIntegerID.MatchString(ddl) && !strings.Contains(strings.ToUpper(ddl), "AUTOINCREMENT") {
				tables[name] = ddl
			}
			return nil
		})
	if err != nil {
		return err
	}
	for name, ddl := range tables {
		if err := rebuildAutoincrement(ctx, tx, name, ddl); err != nil {
			return fmt.Errorf("rebuild table %s: %w", name, err)
		}
	}
	return nil
}

// tableExtras returns the statements that made a SQLite table's indexes
// and triggers, which a rebuild drops with the table and makes again.
func tableExtras(ctx context.Context, tx *txn, name string) ([]string, error) {
	var extras []string
	err := tx.query(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL`,
		[]any{name}, func(rows *sql.Rows) error {
			var s string
			err := rows.Scan(&s)
			extras = append(extras, s)
			return err
		})
	return extras, err
}

func rebuildAutoincrement(ctx context.Context, tx *txn, name, ddl string) error {
	extras, err := tableExtras(ctx, tx, name)
	if err != nil {
		return err
	}
	head := regexp.MustCompile(`(?i)^CREATE\s+TABLE\s+"?` + regexp.QuoteMeta(name) + `"?\s*\(`)
	loc := head.FindStringIndex(ddl)
	if loc == nil {
		return fmt.Errorf("unexpected definition %q", ddl)
	}
	tmp := name + "_rebuilt"
	rest := ddl[loc[1]:]
	id := plainIntegerID.FindStringIndex(rest)
	rest = rest[:id[1]] + " AUTOINCREMENT" + rest[id[1]:]
	stmts := []string{
		`CREATE TABLE ` + tmp + ` (` + rest,
		`INSERT INTO ` + tmp + ` SELECT * FROM ` + name,
		`DROP TABLE ` + name,
		`ALTER TABLE ` + tmp + ` RENAME TO ` + name,
	}
	for _, q := range append(stmts, extras...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// nextSeq advances the named sequence by n in tx and returns its new
// value: the last of the n numbers handed out.
func nextSeq(ctx context.Context, tx *txn, name string, n int) (int64, error) {
	var last int64
	err := tx.scanRow(ctx, `INSERT INTO sequences (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = sequences.value + excluded.value RETURNING value`, []any{name, n}, &last)
	if err != nil {
		return 0, fmt.Errorf("advance sequence %s: %w", name, err)
	}
	return last, nil
}

// idMarksSQLite returns, per table, the largest id ever handed out.
func idMarksSQLite(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	marks := map[string]int64{}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_sequence'`).Scan(&n); err != nil || n == 0 {
		return marks, err
	}
	pairs, err := db.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		return nil, err
	}
	defer pairs.Close()
	for pairs.Next() {
		var t string
		var v int64
		if err := pairs.Scan(&t, &v); err != nil {
			return nil, err
		}
		marks[t] = v
	}
	return marks, pairs.Err()
}

// markIDsSQLite makes each AUTOINCREMENT table of a copy go on after the
// largest id the source handed out.
func markIDsSQLite(ctx context.Context, tx *txn, tables []string, marks map[string]int64) error {
	for _, t := range tables {
		if marks[t] == 0 {
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?`, marks[t], t)
		if n, _ := res.RowsAffected(); err == nil && n == 0 { // nothing copied into it
			_, err = tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`, t, marks[t])
		}
		if err != nil {
			return fmt.Errorf("carry ids of %s: %w", t, err)
		}
	}
	return nil
}
