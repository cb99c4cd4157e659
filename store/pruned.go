package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"herald/feeds"
)

// Items pruned while their feed still lists them stay pruned: the prune
// keeps the keys of their feed memberships (table pruned_items), and a
// poll that read the feed's document skips the entries whose keys are
// there and forgets the keys it did not list. A 304 or a failed poll
// changes nothing: the feed may still list them.

var (
	qPrunedGUIDs = `SELECT guid FROM pruned_items WHERE feed_id = ? AND guid IN (` + placeholders(batch, 1) + `)`
	qSeenPruned  = `UPDATE pruned_items SET seen_at = ? WHERE feed_id = ? AND guid IN (` + placeholders(batch, 1) + `)`
	// qForgetUnlisted drops the feed's pruned keys that the document read
	// at now did not list (the poll marked those it did).
	qForgetUnlisted = `DELETE FROM pruned_items WHERE feed_id = ? AND seen_at < ?`
)

// rememberPruned keeps the membership keys of the items `which` selects
// (a subquery of item ids, with its args), seen at their feed's last poll.
func rememberPruned(ctx context.Context, tx *txn, which string, args ...any) error {
	return tx.exec(ctx, `INSERT INTO pruned_items (feed_id, guid, seen_at)
		SELECT m.feed_id, m.guid, f.last_poll FROM item_feeds m JOIN feeds f ON f.id = m.feed_id
		WHERE m.item_id IN (`+which+`)
		ON CONFLICT (feed_id, guid) DO UPDATE SET seen_at = excluded.seen_at`, args...)
}

// prunedGUIDs returns which of items were pruned from this feed, and marks
// them seen at now.
func prunedGUIDs(ctx context.Context, tx *txn, feedID int64, items []feeds.Item, now time.Time) (map[string]bool, error) {
	var rows [][]any
	for _, it := range items {
		rows = append(rows, []any{it.GUID})
	}
	pruned := map[string]bool{}
	var found [][]any
	err := inBatches(rows, func(args []any) error {
		return tx.query(ctx, qPrunedGUIDs, append([]any{feedID}, args...), func(r *sql.Rows) error {
			var guid string
			err := r.Scan(&guid)
			pruned[guid], found = true, append(found, []any{guid})
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read pruned keys: %w", err)
	}
	err = inBatches(found, func(args []any) error {
		return tx.exec(ctx, qSeenPruned, append([]any{ms(now), feedID}, args...)...)
	})
	if err != nil {
		return nil, fmt.Errorf("mark pruned keys seen: %w", err)
	}
	return pruned, nil
}

// forgetUnlisted drops the feed's pruned keys that the document read at now
// did not list (prunedGUIDs marked those it did).
func forgetUnlisted(ctx context.Context, tx *txn, feedID int64, now time.Time) error {
	if err := tx.exec(ctx, qForgetUnlisted, feedID, ms(now)); err != nil {
		return fmt.Errorf("forget pruned keys: %w", err)
	}
	return nil
}
