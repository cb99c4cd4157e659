package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// TableCount is how many rows one table holds.
type TableCount struct {
	Table string
	Rows  int64
}

// notCopied are the tables Copy leaves behind: the clusterer snapshot
// (snapshot.go) is rebuilt from the copied items when the daemon first
// starts on the copy, and its 100 MB of parts would cost the copy most of
// its time and, in batches of copyBatch rows, gigabytes of memory.
var notCopied = []string{"clusterer_snapshot", "clusterer_snapshot_parts"}

// copyBatch is how many rows one INSERT carries: few statements, and far
// below both databases' limits on parameters per statement.
const copyBatch = 200

// Copy copies every row of every table from one store into another, empty
// one (e.g. SQLite into PostgreSQL) in a single transaction, then checks
// that each table holds as many rows on both sides. Both stores must be
// open (so both schemas are current). Ids are kept, so links to events
// and items stay valid. The clusterer snapshot is not copied (notCopied).
func Copy(ctx context.Context, from, to *Store) ([]TableCount, error) {
	tables, err := from.tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: list tables of %s: %w", from.name, err)
	}
	for _, t := range tables {
		if n, err := to.count(ctx, t); err != nil {
			return nil, fmt.Errorf("copy: table %s of %s: %w (is its schema at the same version?)", t, to.name, err)
		} else if n > 0 {
			return nil, fmt.Errorf("copy: %s already holds %d rows in table %s: copy into an empty database", to.name, n, t)
		}
	}
	tables = slices.DeleteFunc(tables, func(t string) bool { return slices.Contains(notCopied, t) })
	marks, err := from.dialect.idMarks(ctx, from.db)
	if err != nil {
		return nil, fmt.Errorf("copy: ids handed out by %s: %w", from.name, err)
	}
	err = to.inTx(ctx, func(tx *txn) error {
		for _, t := range tables {
			if err := copyTable(ctx, from, tx, t); err != nil {
				return fmt.Errorf("copy table %s: %w", t, err)
			}
		}
		return to.dialect.afterCopy(ctx, tx, tables, marks)
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s to %s: %w", from.name, to.name, err)
	}
	return verifyCopy(ctx, from, to, tables)
}

// copyTable streams one table's rows from the source into tx in batches.
func copyTable(ctx context.Context, from *Store, tx *txn, table string) error {
	rows, err := from.db.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var pending []any
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		n := len(pending) / len(cols)
		_, err := tx.ExecContext(ctx, tx.s.q(`INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES `+
			placeholders(n, len(cols))), pending...)
		pending = pending[:0]
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		pending = append(pending, vals...)
		if len(pending) >= copyBatch*len(cols) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

func verifyCopy(ctx context.Context, from, to *Store, tables []string) ([]TableCount, error) {
	var out []TableCount
	for _, t := range tables {
		a, err := from.count(ctx, t)
		if err != nil {
			return out, fmt.Errorf("verify copy: %w", err)
		}
		b, err := to.count(ctx, t)
		if err != nil {
			return out, fmt.Errorf("verify copy: %w", err)
		}
		if a != b {
			return out, fmt.Errorf("verify copy: table %s has %d rows in %s but %d in %s", t, a, from.name, b, to.name)
		}
		out = append(out, TableCount{Table: t, Rows: a})
	}
	return out, nil
}

func (s *Store) count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	return n, err
}

// tables lists Herald's tables (not the migration log), each after the
// tables its foreign keys point to, so that rows can be copied in order.
func (s *Store) tables(ctx context.Context) ([]string, error) {
	refs, err := s.dialect.foreignKeys(ctx, s.db)
	if err != nil {
		return nil, err
	}
	delete(refs, "schema_migrations")
	var names []string
	for t := range refs {
		names = append(names, t)
	}
	slices.Sort(names)
	var order []string
	placed := map[string]bool{}
	for len(order) < len(names) {
		progress := false
		for _, t := range names {
			if placed[t] || !allPlaced(refs[t], placed, t) {
				continue
			}
			order, placed[t], progress = append(order, t), true, true
		}
		if !progress {
			return nil, fmt.Errorf("foreign keys form a cycle among %v", names)
		}
	}
	return order, nil
}

func allPlaced(deps []string, placed map[string]bool, self string) bool {
	for _, d := range deps {
		if d != self && !placed[d] {
			return false
		}
	}
	return true
}

// foreignKeysSQLite maps each table to the tables it references.
func foreignKeysSQLite(ctx context.Context, db *sql.DB) (map[string][]string, error) {
	return queryPairs(ctx, db, `SELECT m.name, COALESCE(f."table", '') FROM sqlite_master m
		LEFT JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
}

func foreignKeysPG(ctx context.Context, db *sql.DB) (map[string][]string, error) {
	return queryPairs(ctx, db, `SELECT c.relname, COALESCE(r.relname, '') FROM pg_class c
		LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
		LEFT JOIN pg_class r ON r.oid = k.confrelid
		WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace`)
}

func queryPairs(ctx context.Context, db *sql.DB, query string) (map[string][]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var t, ref string
		if err := rows.Scan(&t, &ref); err != nil {
			return nil, err
		}
		out[t] = out[t] // a table without foreign keys is listed too
		if ref != "" {
			out[t] = append(out[t], ref)
		}
	}
	return out, rows.Err()
}

// identitySequence names the sequence behind table's id column ("" when
// it has none).
func identitySequence(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, table string) (string, error) {
	var seq sql.NullString
	err := q.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, 'id')::text
		FROM information_schema.columns WHERE table_schema = current_schema()
		AND table_name = $1 AND column_name = 'id'`, table).Scan(&seq)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return seq.String, err
}

// idMarksPG returns the last value of each table's identity sequence.
func idMarksPG(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	refs, err := foreignKeysPG(ctx, db)
	if err != nil {
		return nil, err
	}
	marks := map[string]int64{}
	for t := range refs {
		seq, err := identitySequence(ctx, db, t)
		if err != nil || seq == "" {
			if err != nil {
				return nil, fmt.Errorf("identity of %s: %w", t, err)
			}
			continue
		}
		var v int64
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(pg_sequence_last_value($1::regclass), 0)`, seq).Scan(&v); err != nil {
			return nil, fmt.Errorf("identity of %s: %w", t, err)
		}
		marks[t] = v
	}
	return marks, nil
}

// resetIdentities moves each table's id generator past the copied ids and
// the ids the source handed out, so the next insert neither collides with
// a copied row nor brings back the id of a pruned one.
func resetIdentities(ctx context.Context, tx *txn, tables []string, marks map[string]int64) error {
	for _, t := range tables {
		seq, err := identitySequence(ctx, tx, t)
		if err != nil {
			return fmt.Errorf("identity of %s: %w", t, err)
		}
		if seq == "" {
			continue // no generated id column
		}
		if _, err := tx.ExecContext(ctx, `SELECT setval($1, GREATEST(COALESCE(MAX(id), 0), $2) + 1, false) FROM `+t,
			seq, marks[t]); err != nil {
			return fmt.Errorf("reset identity of %s: %w", t, err)
		}
	}
	return nil
}
