package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"herald/feeds"
)

// SavePoll records a poll of f in one transaction: the feed's new state
// (validators, status, next poll, URL after a permanent redirect) and its
// items. Saving the same items twice stores nothing new. It releases the
// feed's lease (LeaseDueFeeds): the poll is done. When it fails nothing
// was stored, and it counts nothing. On PostgreSQL it takes two round
// trips (savepg.go).
func (s *Store) SavePoll(ctx context.Context, f feeds.Feed, items []feeds.Item, now time.Time) (feeds.Saved, error) {
	var res feeds.Saved
	var err error
	if s.dialect.name == postgres.name {
		res, err = s.savePollPG(ctx, f, items, now)
	} else {
		err = s.inTx(ctx, func(tx *txn) error {
			if err := saveFeedState(ctx, tx, f); err != nil {
				return err
			}
			var unread []uint64
			var err error
			res, unread, err = saveItems(ctx, tx, f.ID, items, now)
			if err != nil {
				return fmt.Errorf("save items of feed %s: %w", f.URL, err)
			}
			if f.LastStatus != feeds.StatusOK {
				return nil
			}
			// items is what the document lists
			if err := tx.exec(ctx, qSavePrints, encodePrints(keptPrints(items, unread)), f.ID); err != nil {
				return fmt.Errorf("save entry prints of feed %s: %w", f.URL, err)
			}
			return forgetUnlisted(ctx, tx, f.ID, now)
		})
	}
	if err != nil {
		return feeds.Saved{}, err // rolled back
	}
	if res.New+res.Edited+res.Linked > 0 {
		s.keptData()
	}
	return res, nil
}

// The feed's state after a poll, and its URL after a permanent redirect
// unless another feed already has that URL (then both stay as they are).
const (
	qSaveFeed = `UPDATE feeds SET title = CASE WHEN title = '' THEN ? ELSE title END,
		site_url = ?, etag = ?, last_modified = ?, last_poll = ?, next_poll = ?, last_status = ?,
		last_error = ?, failures = ?, disabled = ?, hints = ?, listed_items = ?, old_items = ?, body_hash = ?,
		lease_owner = '', lease_until = 0 WHERE id = ?`
	qMoveFeed = `UPDATE feeds SET url = ? WHERE id = ? AND url <> ? AND NOT EXISTS (SELECT 1 FROM feeds WHERE url = ?)`
	// qSavePrints keeps the prints of a document's entries (prints.go):
	// written by a poll that read one, left alone by a 304 or a failure.
	qSavePrints = `UPDATE feeds SET entry_prints = ? WHERE id = ?`
)

// feedStateArgs are qSaveFeed's arguments for f.
func feedStateArgs(f feeds.Feed) ([]any, error) {
	hints, err := json.Marshal(f.Hints)
	if err != nil {
		return nil, fmt.Errorf("save feed %s: %w", f.URL, err)
	}
	return []any{f.Title, f.SiteURL, f.ETag, f.LastModified, ms(f.LastPoll), ms(f.NextPoll), f.LastStatus,
		f.LastError, f.Failures, boolInt(f.Disabled), string(hints), f.Listed, f.Old, f.BodyHash, f.ID}, nil
}

func saveFeedState(ctx context.Context, tx *txn, f feeds.Feed) error {
	args, err := feedStateArgs(f)
	if err != nil {
		return err
	}
	if err := tx.exec(ctx, qSaveFeed, args...); err != nil {
		return fmt.Errorf("save feed %s: %w", f.URL, err)
	}
	if err := tx.exec(ctx, qMoveFeed, f.URL, f.ID, f.URL, f.URL); err != nil {
		return fmt.Errorf("move feed %d to %s: %w", f.ID, f.URL, err)
	}
	return nil
}

// A poll stores up to thousands of items, and each statement costs more in
// overhead than in work; so items are looked up and linked in batches.
// Statements of one fixed size are prepared once at Open; a shorter last
// batch is padded by repeating its last value, which IN lists and ON
// CONFLICT DO NOTHING ignore.
const batch = 32

var (
	qItemsByGUID = `SELECT guid, item_id, hash FROM item_feeds
		WHERE feed_id = ? AND guid IN (` + placeholders(batch, 1) + `)`
	qItemsByURL        = `SELECT url, id FROM items WHERE url IN (` + placeholders(batch, 1) + `)`
	qInsertMemberships = `INSERT INTO item_feeds (feed_id, guid, item_id, hash) VALUES ` + placeholders(batch, 4) +
		` ON CONFLICT (feed_id, guid) DO NOTHING`
	qInsertItem = `INSERT INTO items (url, title, author, source, lang,
		published, updated, hash, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	qInsertBodies = `INSERT INTO item_bodies (item_id, summary, content, text) VALUES ` + placeholders(batch, 4) +
		` ON CONFLICT (item_id) DO NOTHING`
	qUpdateItem       = `UPDATE items SET title = ?, author = ?, updated = ?, hash = ? WHERE id = ?`
	qUpdateBody       = `UPDATE item_bodies SET summary = ?, content = ?, text = ? WHERE item_id = ?`
	qUpdateMembership = `UPDATE item_feeds SET hash = ? WHERE feed_id = ? AND guid = ?`

	hotQueries = []string{qSaveFeed, qMoveFeed, qSavePrints, qItemsByGUID, qItemsByURL, qInsertMemberships, qInsertItem, qInsertBodies,
		qUpdateItem, qUpdateBody, qUpdateMembership, qPrunedGUIDs, qSeenPruned, qForgetUnlisted}
)

// placeholders writes n groups of width question marks: "?, ?" or "(?, ?, ?), (?, ?, ?)".
func placeholders(n, width int) string {
	group := strings.TrimSuffix(strings.Repeat("?, ", width), ", ")
	if width > 1 {
		group = "(" + group + ")"
	}
	return strings.TrimSuffix(strings.Repeat(group+", ", n), ", ")
}

// inBatches calls fn with rows (each of width values) in batches of exactly
// batch rows, the last one padded with copies of its final row.
func inBatches(rows [][]any, fn func(args []any) error) error {
	for len(rows) > 0 {
		n := min(batch, len(rows))
		var args []any
		for i := range batch {
			args = append(args, rows[min(i, n-1)]...)
		}
		if err := fn(args); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

type stored struct {
	id   int64
	hash string
}

// pollPlan sorts the items of a poll by what saving them takes, once
// the store has said which of their guids the feed already has (known,
// with the hash it sent) and which were pruned from it.
type pollPlan struct {
	res    feeds.Saved   // Skipped counted (unchanged and pruned), Edited counted
	edited []*feeds.Item // in the feed, with new content; ID set
	fresh  []*feeds.Item // not yet in the feed: to insert, or to link by URL
	// unread are the prints of Unchanged items the feed neither has nor
	// had pruned, which only a damaged or rolled-back store can show: with
	// no body they cannot be stored now, and the feed's next document reads
	// them in full.
	unread []uint64
}

func planPoll(items []feeds.Item, known map[string]stored, pruned map[string]bool) pollPlan {
	var p pollPlan
	seen := make(map[string]bool, len(items))
	for i := range items {
		it := &items[i]
		k, ok := known[it.GUID]
		switch {
		case seen[it.GUID]: // an entry the document repeats
			p.res.Skipped++
		case it.Unchanged && (ok || pruned[it.GUID]):
			p.res.Skipped++
		case it.Unchanged:
			p.res.Skipped++
			p.unread = append(p.unread, it.Print)
		case ok && k.hash == it.Hash:
			p.res.Skipped++
		case ok:
			it.ID = k.id
			p.res.Edited++
			p.edited = append(p.edited, it)
		case pruned[it.GUID]:
			p.res.Skipped++
		default:
			p.fresh = append(p.fresh, it)
		}
		seen[it.GUID] = true
	}
	return p
}

// saveItems finds each item by its guid in this feed, then by its canonical
// URL (the same story in another feed), and inserts it only when both miss
// and it was not pruned from this feed (pruned.go). It returns the prints
// of the Unchanged items it could not store (pollPlan.unread).
func saveItems(ctx context.Context, tx *txn, feedID int64, items []feeds.Item, now time.Time) (feeds.Saved, []uint64, error) {
	known, err := knownGUIDs(ctx, tx, feedID, items)
	if err != nil {
		return feeds.Saved{}, nil, err
	}
	var unknown []feeds.Item
	for _, it := range items {
		if _, ok := known[it.GUID]; !ok {
			unknown = append(unknown, it)
		}
	}
	pruned, err := prunedGUIDs(ctx, tx, feedID, unknown, now)
	if err != nil {
		return feeds.Saved{}, nil, err
	}
	plan := planPoll(items, known, pruned)
	res := plan.res
	for _, it := range plan.edited {
		if err := updateItem(ctx, tx, feedID, it, now); err != nil {
			return res, nil, err
		}
	}
	byURL, err := knownURLs(ctx, tx, plan.fresh)
	if err != nil {
		return res, nil, err
	}
	var members, bodies [][]any
	for _, it := range plan.fresh {
		if id, ok := byURL[it.URL]; ok && it.URL != "" {
			it.ID = id
			res.Linked++
		} else {
			if it.ID, err = insertItem(ctx, tx, it, now); err != nil {
				return res, nil, err
			}
			bodies = append(bodies, []any{it.ID, it.Summary, it.Content, it.Text})
			res.New++
			byURL[it.URL] = it.ID // a later item of this poll with the same URL links to it
		}
		members = append(members, []any{feedID, it.GUID, it.ID, it.Hash})
	}
	if err := inBatches(bodies, func(args []any) error { return tx.exec(ctx, qInsertBodies, args...) }); err != nil {
		return res, nil, err
	}
	return res, plan.unread, inBatches(members, func(args []any) error { return tx.exec(ctx, qInsertMemberships, args...) })
}

func knownGUIDs(ctx context.Context, tx *txn, feedID int64, items []feeds.Item) (map[string]stored, error) {
	var rows [][]any
	for _, it := range items {
		rows = append(rows, []any{it.GUID})
	}
	known := map[string]stored{}
	err := inBatches(rows, func(args []any) error {
		return tx.query(ctx, qItemsByGUID, append([]any{feedID}, args...), func(r *sql.Rows) error {
			var guid string
			var k stored
			if err := r.Scan(&guid, &k.id, &k.hash); err != nil {
				return err
			}
			known[guid] = k
			return nil
		})
	})
	return known, err
}

func knownURLs(ctx context.Context, tx *txn, items []*feeds.Item) (map[string]int64, error) {
	var rows [][]any
	for _, it := range items {
		if it.URL != "" {
			rows = append(rows, []any{it.URL})
		}
	}
	ids := map[string]int64{}
	err := inBatches(rows, func(args []any) error {
		return tx.query(ctx, qItemsByURL, args, func(r *sql.Rows) error {
			var url string
			var id int64
			if err := r.Scan(&url, &id); err != nil {
				return err
			}
			ids[url] = id
			return nil
		})
	})
	return ids, err
}

// insertItem inserts an item's row; its body goes in with the poll's
// others, 32 a statement (saveItems).
func insertItem(ctx context.Context, tx *txn, it *feeds.Item, now time.Time) (int64, error) {
	var id int64
	err := tx.scanRow(ctx, qInsertItem, []any{nullString(it.URL), it.Title,
		it.Author, it.Source, it.Lang, ms(it.Published), ms(it.Updated), it.Hash, ms(now)}, &id)
	return id, err
}

// updateItem stores an edited entry: the item takes the newest content, and
// the feed's membership remembers the hash it sent. A new title changes
// the item's event for readers (editedTitle).
func updateItem(ctx context.Context, tx *txn, feedID int64, it *feeds.Item, now time.Time) error {
	var oldTitle, eventID string
	if err := tx.scanRow(ctx, `SELECT title, COALESCE(event_id, '') FROM items WHERE id = ?`, []any{it.ID},
		&oldTitle, &eventID); err != nil {
		return err
	}
	if err := tx.exec(ctx, qUpdateItem, it.Title, it.Author, ms(it.Updated), it.Hash, it.ID); err != nil {
		return err
	}
	if err := tx.exec(ctx, qUpdateBody, it.Summary, it.Content, it.Text, it.ID); err != nil {
		return err
	}
	if eventID != "" && oldTitle != it.Title {
		if err := editedTitle(ctx, tx, eventID, oldTitle, it.Title, now); err != nil {
			return err
		}
	}
	return tx.exec(ctx, qUpdateMembership, it.Hash, feedID, it.GUID)
}

// editedTitle updates an event one of whose items got a new title: the
// headline follows when it was that item's title, and the event's updated
// time moves to now either way (its feed item lists the sources' titles),
// so that feed readers show the change.
func editedTitle(ctx context.Context, tx *txn, eventID, oldTitle, newTitle string, now time.Time) error {
	err := tx.exec(ctx, `UPDATE events SET headline = CASE WHEN headline = ? THEN ? ELSE headline END,
		last_updated = CASE WHEN last_updated < ? THEN ? ELSE last_updated END WHERE id = ?`,
		oldTitle, newTitle, ms(now), ms(now), eventID)
	if err != nil {
		return fmt.Errorf("update event %s after an edit: %w", eventID, err)
	}
	return nil
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
