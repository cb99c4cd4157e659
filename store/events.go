package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"time"

	"herald/events"
)

// The deduplicator reads an item's plain text (its summary's text, then its
// content's): the stored summary is HTML, whose tags are not words. It reads
// the first words only (events.Options.BodyWords), so a long article's
// text stays in the database.
const docColumns = `i.id, i.source, i.title, '',
	COALESCE((SELECT SUBSTR(b.text, 1, 4000) FROM item_bodies b WHERE b.item_id = i.id), ''),
	i.lang, i.published,
	(SELECT COALESCE(MIN(t.topic), '') FROM item_feeds m JOIN feed_topics t ON t.feed_id = m.feed_id WHERE m.item_id = i.id)`

// unclusteredQuery reads the deduplicator's backlog in order from the
// items_unclustered index; TestQueryPlans checks that both backends do.
const unclusteredQuery = `SELECT ` + docColumns + ` FROM items i
	WHERE i.event_id IS NULL ORDER BY i.published, i.id LIMIT ?`

// UnclusteredDocs returns up to limit items that no event holds yet, oldest
// first: the deduplicator's next input.
func (s *Store) UnclusteredDocs(ctx context.Context, limit int) ([]events.Doc, error) {
	rows, err := s.db.QueryContext(ctx, s.q(unclusteredQuery), limit)
	if err != nil {
		return nil, fmt.Errorf("query unclustered items: %w", err)
	}
	defer rows.Close()
	var out []events.Doc
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// PlacedDocsSince calls each with the placed items published since, in the
// order they were placed, so a restarted deduplicator can restore its
// state.
func (s *Store) PlacedDocsSince(ctx context.Context, since time.Time, each func(events.PlacedDoc)) error {
	return s.placedDocs(ctx, -1, ms(since), each)
}

// PlacedDocsAfter calls each with the items placed after placement number
// seq, in the order they were placed: what a deduplicator restored from a
// snapshot that includes seq has yet to see.
func (s *Store) PlacedDocsAfter(ctx context.Context, seq int64, each func(events.PlacedDoc)) error {
	return s.placedDocs(ctx, seq, math.MinInt64, each)
}

// placedDocs calls each with the items placed after placement number after
// and published at or after since (Unix ms). It reads them a chunk at a
// time and calls each between reads: a window holds too many items to read
// whole, and the connection (SQLite's only one) stays free for the polls
// while each works.
func (s *Store) placedDocs(ctx context.Context, after, since int64, each func(events.PlacedDoc)) error {
	const chunk = 2000
	for {
		docs, last, err := s.placedChunk(ctx, after, since, chunk)
		if err != nil {
			return err
		}
		for _, pd := range docs {
			each(pd)
		}
		if len(docs) < chunk {
			return nil
		}
		after = last
	}
}

// placedQuery reads placed items in the order they were placed, from the
// items_cluster_seq index (TestQueryPlans).
const placedQuery = `SELECT ` + docColumns + `, i.event_id, COALESCE(e.storyline_id, ''), i.cluster_seq
	FROM items i LEFT JOIN events e ON e.id = i.event_id
	WHERE i.cluster_seq > ? AND i.event_id IS NOT NULL AND i.published >= ? ORDER BY i.cluster_seq LIMIT ?`

// placedChunk reads up to limit items placed after placement number after
// and published at or after since, with the cluster_seq of the last.
func (s *Store) placedChunk(ctx context.Context, after, since int64, limit int) ([]events.PlacedDoc, int64, error) {
	rows, err := s.db.QueryContext(ctx, s.q(placedQuery), after, since, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("query clustered items: %w", err)
	}
	defer rows.Close()
	var out []events.PlacedDoc
	var seq int64
	for rows.Next() {
		var pd events.PlacedDoc
		if pd.Doc, err = scanDoc(rows, &pd.EventID, &pd.StorylineID, &seq); err != nil {
			return nil, 0, err
		}
		out = append(out, pd)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read clustered items: %w", err)
	}
	return out, seq, nil
}

// scanDoc reads the docColumns of a row, then extra.
func scanDoc(rows *sql.Rows, extra ...any) (events.Doc, error) {
	var d events.Doc
	var id, published int64
	var topic string
	dest := append([]any{&id, &d.Source, &d.Title, &d.Summary, &d.Text, &d.Lang, &published, &topic}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return d, fmt.Errorf("scan item: %w", err)
	}
	d.ID, d.Published = strconv.FormatInt(id, 10), fromMS(published)
	if topic != "" {
		d.Topics = []string{topic}
	}
	return d, nil
}

// EventCounts returns how many events there are and how many items they hold.
func (s *Store) EventCounts(ctx context.Context) (events, placed int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM events),
		(SELECT COUNT(*) FROM items WHERE event_id IS NOT NULL)`).Scan(&events, &placed)
	return events, placed, err
}

// latestPlacedQuery reads the end of the items_placed_published index
// (TestQueryPlans).
const latestPlacedQuery = `SELECT COALESCE(MAX(published), 0) FROM items WHERE event_id IS NOT NULL`

// LatestPlaced returns the publication time of the newest placed item (zero
// when there is none): the end of the window a restarted deduplicator
// restores.
func (s *Store) LatestPlaced(ctx context.Context) (time.Time, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, latestPlacedQuery).Scan(&v)
	if err != nil {
		return time.Time{}, fmt.Errorf("read latest placed item: %w", err)
	}
	return fromMS(v), nil
}
