package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"herald/feeds"
)

// On PostgreSQL each statement is a round trip to a server that usually
// shares the machine, and a poll ran about 70 of them (one INSERT per new
// item). savePollPG sends a poll in two pgx batches instead: the first
// writes the feed's state and reads which of the listed guids the feed
// already has or had pruned; the second writes the rest (new items in one
// statement, their memberships in another) and commits. A poll without
// items (a 304, a failure) is one batch.

// The statements of the batches, written for PostgreSQL (they go to pgx
// directly). Items with a URL are inserted in one statement and found
// again by it, as the same story from another feed is: a URL stored
// meanwhile by another poll is linked rather than refused.
const (
	pgItemsByGUID = `SELECT guid, item_id, hash FROM item_feeds WHERE feed_id = $1 AND guid = ANY($2)`
	pgPrunedGUIDs = `SELECT guid FROM pruned_items WHERE feed_id = $1 AND guid = ANY($2)`
	pgSeenPruned  = `UPDATE pruned_items SET seen_at = $1 WHERE feed_id = $2 AND guid = ANY($3)`
	pgInsertItems = `WITH n AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[],
			$4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::text[])
			AS n(u, ti, su, co, te, au, so, la, pu, up, ha)),
		i AS (INSERT INTO items (url, title, author, source, lang, published, updated, hash, first_seen)
			SELECT u, ti, au, so, la, pu, up, ha, $12 FROM n
			ON CONFLICT (url) DO NOTHING RETURNING id, url)
		INSERT INTO item_bodies (item_id, summary, content, text) SELECT i.id, n.su, n.co, n.te FROM i JOIN n ON n.u = i.url`
	pgLinkByURL = `INSERT INTO item_feeds (feed_id, guid, item_id, hash)
		SELECT $1, m.guid, i.id, m.hash FROM unnest($2::text[], $3::text[], $4::text[]) AS m(guid, url, hash)
		JOIN items i ON i.url = m.url
		ON CONFLICT (feed_id, guid) DO NOTHING`
	// An item without a URL has nothing to find it by but its new id.
	pgInsertUnlinked = `WITH i AS (INSERT INTO items (url, title, author, source, lang,
		published, updated, hash, first_seen) VALUES (NULL, $1, $5, $6, $7, $8, $9, $10, $11) RETURNING id),
		body AS (INSERT INTO item_bodies (item_id, summary, content, text) SELECT id, $2, $3, $4 FROM i)
		INSERT INTO item_feeds (feed_id, guid, item_id, hash) SELECT $12, $13, id, $10 FROM i
		ON CONFLICT (feed_id, guid) DO NOTHING`
	// An edited entry: the item takes the new content, the membership the
	// new hash, and the item's event a new headline when it was the old
	// title (editedTitle says why).
	pgUpdateItem = `WITH old AS (SELECT title, event_id FROM items WHERE id = $1),
		item AS (UPDATE items SET title = $2, author = $6, updated = $7, hash = $8 WHERE id = $1),
		body AS (UPDATE item_bodies SET summary = $3, content = $4, text = $5 WHERE item_id = $1),
		event AS (UPDATE events SET headline = CASE WHEN headline = old.title THEN $2 ELSE headline END,
			last_updated = GREATEST(last_updated, $9) FROM old WHERE events.id = old.event_id AND old.title <> $2)
		UPDATE item_feeds SET hash = $8 WHERE feed_id = $10 AND guid = $11`
)

func (s *Store) savePollPG(ctx context.Context, f feeds.Feed, items []feeds.Item, now time.Time) (feeds.Saved, error) {
	state, err := feedStateArgs(f)
	if err != nil {
		return feeds.Saved{}, err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return feeds.Saved{}, s.noteWrite(fmt.Errorf("save poll of feed %s: %w", f.URL, err))
	}
	defer conn.Close()
	var res feeds.Saved
	err = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		b := &pgx.Batch{}
		b.Queue(`BEGIN`)
		b.Queue(s.q(qSaveFeed), state...)
		b.Queue(s.q(qMoveFeed), f.URL, f.ID, f.URL, f.URL)
		saved := &feeds.Saved{}
		var unread []uint64
		if len(items) > 0 {
			known, pruned := queueLookups(b, f.ID, items)
			if err := sendBatch(ctx, c, b); err != nil {
				return err
			}
			b = &pgx.Batch{}
			plan := planPoll(items, known, pruned)
			saved, unread = queueWrites(b, f.ID, plan, pruned, now), plan.unread
		}
		if f.LastStatus == feeds.StatusOK { // items is what the document lists
			b.Queue(s.q(qSavePrints), encodePrints(keptPrints(items, unread)), f.ID)
			b.Queue(s.q(qForgetUnlisted), f.ID, ms(now))
		}
		b.Queue(`COMMIT`)
		if err := sendBatch(ctx, c, b); err != nil {
			return err
		}
		res = *saved
		return nil
	})
	if err != nil {
		return feeds.Saved{}, s.noteWrite(fmt.Errorf("save poll of feed %s: %w", f.URL, err))
	}
	return res, nil
}

// sendBatch runs b; when it fails, it rolls back the transaction b was
// part of, or has the pool drop the connection when even that fails.
func sendBatch(ctx context.Context, c *pgx.Conn, b *pgx.Batch) error {
	err := c.SendBatch(ctx, b).Close()
	if err == nil {
		return nil
	}
	if _, rbErr := c.Exec(context.WithoutCancel(ctx), `ROLLBACK`); rbErr != nil {
		return errors.Join(err, driver.ErrBadConn)
	}
	return err
}

// queueLookups queues the first batch's reads: which of the listed guids
// the feed has (with the hash it sent) and which were pruned from it. The
// maps are filled when the batch has run.
func queueLookups(b *pgx.Batch, feedID int64, items []feeds.Item) (map[string]stored, map[string]bool) {
	guids := make([]string, len(items))
	for i, it := range items {
		guids[i] = it.GUID
	}
	known, pruned := map[string]stored{}, map[string]bool{}
	b.Queue(pgItemsByGUID, feedID, guids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var guid string
			var k stored
			if err := rows.Scan(&guid, &k.id, &k.hash); err != nil {
				return err
			}
			known[guid] = k
		}
		return rows.Err()
	})
	b.Queue(pgPrunedGUIDs, feedID, guids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var guid string
			if err := rows.Scan(&guid); err != nil {
				return err
			}
			pruned[guid] = true
		}
		return rows.Err()
	})
	return known, pruned
}

// queueWrites queues what plan needs written. The counts of new and
// linked items it returns are complete once the batch has run.
func queueWrites(b *pgx.Batch, feedID int64, plan pollPlan, pruned map[string]bool, now time.Time) *feeds.Saved {
	res := plan.res
	for _, it := range plan.edited {
		b.Queue(pgUpdateItem, it.ID, it.Title, it.Summary, it.Content, it.Text, it.Author, ms(it.Updated), it.Hash,
			ms(now), feedID, it.GUID)
	}
	var ins newItems
	var linked int
	var guids, urls, hashes []string
	for _, it := range plan.fresh {
		if it.URL == "" {
			b.Queue(pgInsertUnlinked, it.Title, it.Summary, it.Content, it.Text, it.Author, it.Source, it.Lang,
				ms(it.Published), ms(it.Updated), it.Hash, ms(now), feedID, it.GUID)
			res.New++
			continue
		}
		ins.add(it)
		guids, urls, hashes = append(guids, it.GUID), append(urls, it.URL), append(hashes, it.Hash)
		linked++
	}
	if len(urls) > 0 {
		b.Queue(pgInsertItems, ins.args(now)...).Exec(func(ct pgconn.CommandTag) error {
			res.New += int(ct.RowsAffected())
			res.Linked += linked - int(ct.RowsAffected())
			return nil
		})
		b.Queue(pgLinkByURL, feedID, guids, urls, hashes)
	}
	if len(pruned) > 0 {
		seen := make([]string, 0, len(pruned))
		for g := range pruned {
			seen = append(seen, g)
		}
		b.Queue(pgSeenPruned, ms(now), feedID, seen)
	}
	return &res
}

// newItems are the columns of the items a poll inserts in one statement,
// each URL once: a later item of the poll with the same URL links to it.
type newItems struct {
	urls                                                           map[string]bool
	url, title, summary, content, text, author, source, lang, hash []string
	published, updated                                             []int64
}

func (n *newItems) add(it *feeds.Item) {
	if n.urls[it.URL] {
		return
	}
	if n.urls == nil {
		n.urls = map[string]bool{}
	}
	n.urls[it.URL] = true
	n.url, n.title, n.summary = append(n.url, it.URL), append(n.title, it.Title), append(n.summary, it.Summary)
	n.content, n.text, n.author = append(n.content, it.Content), append(n.text, it.Text), append(n.author, it.Author)
	n.source, n.lang, n.hash = append(n.source, it.Source), append(n.lang, it.Lang), append(n.hash, it.Hash)
	n.published, n.updated = append(n.published, ms(it.Published)), append(n.updated, ms(it.Updated))
}

// args are pgInsertItems' arguments.
func (n *newItems) args(now time.Time) []any {
	return []any{n.url, n.title, n.summary, n.content, n.text, n.author, n.source, n.lang,
		n.published, n.updated, n.hash, ms(now)}
}
