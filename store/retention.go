package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"herald/feeds"
)

// Pruned counts what a Prune deleted.
type Pruned struct {
	Events, Items int
}

// pruneBatch bounds each transaction, so that polls saving in between
// never wait long for the single SQLite writer. (A variable for tests.)
var pruneBatch = 500

// Prune deletes the events last updated before `before` together with
// their items (and the items' feed memberships, relations and aliases),
// then the items never placed in an event that were first seen before it.
// The keys of the pruned memberships are kept so that a feed still listing
// them does not bring them back (pruned.go). Digests, with the ids and source counts of the events they
// listed, and the unsubscribes are kept: they are the audit trail of what
// was mailed. It works in small transactions and can be stopped between
// them.
func (s *Store) Prune(ctx context.Context, before time.Time) (Pruned, error) {
	var p Pruned
	for ctx.Err() == nil {
		n, items, err := s.pruneEvents(ctx, before)
		p.Events, p.Items = p.Events+n, p.Items+items
		if err != nil || n < pruneBatch {
			if err == nil {
				items, err = s.pruneUnplaced(ctx, before)
				p.Items += items
			}
			if err == nil {
				err = s.pruneStorylines(ctx)
			}
			return p, err
		}
	}
	return p, ctx.Err()
}

// pruneEvents deletes one batch of old events with their items.
func (s *Store) pruneEvents(ctx context.Context, before time.Time) (events, items int, err error) {
	err = s.inTx(ctx, func(tx *txn) error {
		var ids []any
		err := tx.query(ctx, `SELECT id FROM events WHERE last_updated < ? ORDER BY last_updated, id LIMIT ?`,
			[]any{ms(before), pruneBatch}, func(rows *sql.Rows) error {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
				return nil
			})
		if err != nil || len(ids) == 0 {
			return err
		}
		in := `(` + placeholders(len(ids), 1) + `)`
		if err := rememberPruned(ctx, tx, `SELECT id FROM items WHERE event_id IN `+in, ids...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM items WHERE event_id IN `+in), ids...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		items = int(n)
		for _, q := range []string{
			`DELETE FROM event_relations WHERE event_id IN ` + in,
			`DELETE FROM event_relations WHERE related_id IN ` + in,
			`DELETE FROM event_aliases WHERE new_id IN ` + in,
			`DELETE FROM events WHERE id IN ` + in,
		} {
			if _, err := tx.ExecContext(ctx, s.q(q), ids...); err != nil {
				return err
			}
		}
		events = len(ids)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("prune events before %s: %w", before.Format(time.DateOnly), err)
	}
	return events, items, nil
}

// pruneUnplaced deletes old items no event holds, in batches.
func (s *Store) pruneUnplaced(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for ctx.Err() == nil {
		var n int64
		err := s.inTx(ctx, func(tx *txn) error {
			which := `SELECT id FROM items WHERE event_id IS NULL AND first_seen < ? ORDER BY id LIMIT ?`
			if err := rememberPruned(ctx, tx, which, ms(before), pruneBatch); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, s.q(`DELETE FROM items WHERE id IN (`+which+`)`), ms(before), pruneBatch)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune unplaced items before %s: %w", before.Format(time.DateOnly), err)
		}
		total += int(n)
		if int(n) < pruneBatch {
			return total, nil
		}
	}
	return total, ctx.Err()
}

// pruneStorylines deletes the storylines no event is left in, with the
// aliases that lead to them.
func (s *Store) pruneStorylines(ctx context.Context) error {
	for _, q := range []string{
		`DELETE FROM storylines WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.storyline_id = storylines.id)`,
		`DELETE FROM storyline_aliases WHERE NOT EXISTS (SELECT 1 FROM storylines t WHERE t.id = storyline_aliases.new_id)`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("prune storylines: %w", err)
		}
	}
	return nil
}

// Retaining is the poller's store when items are kept for a retention
// period: it drops feed items published before the period, so that an
// item pruned from the store does not come back as new while its feed
// still carries it. (An undated item carries its fetch time; the store
// remembers the keys it pruned for those.)
type Retaining struct {
	*Store
	Keep time.Duration
}

// SavePoll saves the poll of f at now with the items the period keeps;
// the others count as skipped.
func (r Retaining) SavePoll(ctx context.Context, f feeds.Feed, items []feeds.Item, now time.Time) (feeds.Saved, error) {
	cut := now.Add(-r.Keep)
	var kept []feeds.Item
	for _, it := range items {
		if it.Published.IsZero() || !it.Published.Before(cut) {
			kept = append(kept, it)
		}
	}
	saved, err := r.Store.SavePoll(ctx, f, kept, now)
	saved.Skipped += len(items) - len(kept)
	return saved, err
}
