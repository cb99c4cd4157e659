package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"herald/feeds"
)

// SavePoll records a poll of f in one transaction: the feed's new state
// (validators, status, next poll, URL after a permanent redirect) and its
// items. Saving the same items twice stores nothing new.
func (s *Store) SavePoll(ctx context.Context, f feeds.Feed, items []feeds.Item, now time.Time) (feeds.Saved, error) {
	var res feeds.Saved
	err := s.inTx(ctx, func(tx *txn) error {
		if err := s.saveFeedState(ctx, tx, f); err != nil {
			return err
		}
		for i := range items {
			kind, err := s.saveItem(ctx, tx, f.ID, &items[i], now)
			if err != nil {
				return fmt.Errorf("save item %q of feed %s: %w", items[i].GUID, f.URL, err)
			}
			switch kind {
			case savedNew:
				res.New++
			case savedEdited:
				res.Edited++
			case savedLinked:
				res.Linked++
			default:
				res.Skipped++
			}
		}
		return nil
	})
	return res, err
}

func (s *Store) saveFeedState(ctx context.Context, tx *txn, f feeds.Feed) error {
	hints, err := json.Marshal(f.Hints)
	if err != nil {
		return fmt.Errorf("save feed %s: %w", f.URL, err)
	}
	err = tx.exec(ctx, `UPDATE feeds SET title = CASE WHEN title = '' THEN ? ELSE title END,
		site_url = ?, etag = ?, last_modified = ?, last_poll = ?, next_poll = ?, last_status = ?,
		last_error = ?, failures = ?, disabled = ?, hints = ? WHERE id = ?`,
		f.Title, f.SiteURL, f.ETag, f.LastModified, ms(f.LastPoll), ms(f.NextPoll), f.LastStatus,
		f.LastError, f.Failures, f.Disabled, string(hints), f.ID)
	if err != nil {
		return fmt.Errorf("save feed %s: %w", f.URL, err)
	}
	return s.moveFeedTx(ctx, tx, f)
}

// moveFeedTx stores f.URL as the feed's URL (after a permanent redirect),
// unless another feed already has that URL: then both stay as they are.
func (s *Store) moveFeedTx(ctx context.Context, tx *txn, f feeds.Feed) error {
	var other int64
	err := tx.scanRow(ctx, `SELECT id FROM feeds WHERE url = ?`, []any{f.URL}, &other)
	if err == nil {
		return nil // unchanged, or taken by another feed
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("move feed %d to %s: %w", f.ID, f.URL, err)
	}
	if err := tx.exec(ctx, `UPDATE feeds SET url = ? WHERE id = ?`, f.URL, f.ID); err != nil {
		return fmt.Errorf("move feed %d to %s: %w", f.ID, f.URL, err)
	}
	return nil
}

// The statements run once per item; Open prepares them.
const (
	qItemByGUID = `SELECT i.id, i.hash FROM item_feeds f JOIN items i ON i.id = f.item_id
		WHERE f.feed_id = ? AND f.guid = ?`
	qItemByURL        = `SELECT id FROM items WHERE url = ?`
	qInsertMembership = `INSERT INTO item_feeds (feed_id, guid, item_id) VALUES (?, ?, ?)`
	qInsertItem       = `INSERT INTO items (url, title, summary, content, text, author, source, lang,
		published, updated, hash, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qUpdateItem = `UPDATE items SET title = ?, summary = ?, content = ?, text = ?, author = ?,
		updated = ?, hash = ? WHERE id = ?`
)

var hotQueries = []string{qItemByGUID, qItemByURL, qInsertMembership, qInsertItem, qUpdateItem}

type saveKind int

const (
	savedSame saveKind = iota
	savedNew
	savedEdited
	savedLinked
)

// saveItem finds the item by its identity in this feed, then by its
// canonical URL (the same story in another feed), and inserts it only when
// both miss.
func (s *Store) saveItem(ctx context.Context, tx *txn, feedID int64, it *feeds.Item, now time.Time) (saveKind, error) {
	var id int64
	var hash string
	err := tx.scanRow(ctx, qItemByGUID, []any{feedID, it.GUID}, &id, &hash)
	switch {
	case err == nil && hash == it.Hash:
		it.ID = id
		return savedSame, nil
	case err == nil:
		it.ID = id
		return savedEdited, s.updateItem(ctx, tx, it)
	case !errors.Is(err, sql.ErrNoRows):
		return 0, err
	}
	kind := savedLinked
	if it.URL != "" {
		err = tx.scanRow(ctx, qItemByURL, []any{it.URL}, &id)
	} else {
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		kind = savedNew
		id, err = s.insertItem(ctx, tx, it, now)
	}
	if err != nil {
		return 0, err
	}
	it.ID = id
	err = tx.exec(ctx, qInsertMembership, feedID, it.GUID, id)
	return kind, err
}

func (s *Store) insertItem(ctx context.Context, tx *txn, it *feeds.Item, now time.Time) (int64, error) {
	var id int64
	err := tx.scanRow(ctx, qInsertItem, []any{nullString(it.URL), it.Title, it.Summary, it.Content, it.Text, it.Author, it.Source, it.Lang,
		ms(it.Published), ms(it.Updated), it.Hash, ms(now)}, &id)
	return id, err
}

func (s *Store) updateItem(ctx context.Context, tx *txn, it *feeds.Item) error {
	err := tx.exec(ctx, qUpdateItem,
		it.Title, it.Summary, it.Content, it.Text, it.Author, ms(it.Updated), it.Hash, it.ID)
	return err
}

func nullString(v string) sql.NullString { return sql.NullString{String: v, Valid: v != ""} }

// CountItems returns the number of stored items.
func (s *Store) CountItems(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM items`).Scan(&n)
	return n, err
}

// ItemKeys returns, for every stored item membership, "feedURL\x00guid".
// Tests use it to check that every served item is stored exactly once.
func (s *Store) ItemKeys(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.url, m.guid FROM item_feeds m JOIN feeds f ON f.id = m.feed_id`)
	if err != nil {
		return nil, fmt.Errorf("query item keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u, g string
		if err := rows.Scan(&u, &g); err != nil {
			return nil, err
		}
		out = append(out, u+"\x00"+g)
	}
	return out, rows.Err()
}
