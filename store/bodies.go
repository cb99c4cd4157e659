package store

import (
	"context"
	"database/sql"
	"fmt"
)

// narrowItems is migration 800's step: the summary, content and text
// columns leave items once item_bodies holds them. PostgreSQL drops them
// in its catalogue. SQLite rebuilds the table without them: its DROP
// COLUMN rewrites every row where it lies, and the statement keeps each
// page it changed in memory for its own rollback (some 2 GB for 300,000
// items), where a rebuild writes the narrow rows to new pages and frees
// the old ones.
func narrowItems(ctx context.Context, tx *txn) error {
	if tx.s.dialect.name != "sqlite" {
		_, err := tx.ExecContext(ctx, `ALTER TABLE items DROP COLUMN summary, DROP COLUMN content, DROP COLUMN text`)
		return err
	}
	extras, err := tableExtras(ctx, tx, "items")
	if err != nil {
		return err
	}
	var handedOut sql.NullInt64 // the largest id ever handed out: ids are never reused (ids.go)
	if err := tx.QueryRowContext(ctx, `SELECT MAX(seq) FROM sqlite_sequence WHERE name = 'items'`).Scan(&handedOut); err != nil {
		return err
	}
	// The table as migrations 1 to 700 left it (0001_init.sql, ids.go),
	// less the three columns.
	const cols = `id, url, title, author, source, lang, published, updated, hash, first_seen, event_id, duplicate_of, cluster_seq`
	stmts := []string{
		`CREATE TABLE items_narrow (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    url          TEXT UNIQUE,            -- canonical URL; NULL when the entry has none
    title        TEXT NOT NULL,
    author       TEXT NOT NULL,
    source       TEXT NOT NULL,
    lang         TEXT NOT NULL,
    published    BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    hash         TEXT NOT NULL,
    first_seen   BIGINT NOT NULL,
    event_id     TEXT,                   -- NULL until the deduplicator has placed it
    duplicate_of BIGINT,
    cluster_seq  BIGINT                  -- order in which the deduplicator placed it
)`,
		`INSERT INTO items_narrow (` + cols + `) SELECT ` + cols + ` FROM items`,
		`DROP TABLE items`,
		`ALTER TABLE items_narrow RENAME TO items`,
	}
	for _, q := range append(stmts, extras...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rebuild items: %w", err)
		}
	}
	if !handedOut.Valid {
		return nil // no id handed out yet
	}
	// The copy's sequence starts at its largest id; the ids of items
	// deleted before the rebuild must not come back.
	if _, err := tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'items'`, handedOut.Int64); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) SELECT 'items', ?
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'items')`, handedOut.Int64)
	return err
}
