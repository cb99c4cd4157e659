package store

import (
	"context"
	"fmt"
	"strconv"

	"herald/events"
)

// EventWeights returns the events q selects with only what ranking and
// grouping read (package rank): id, storyline, reports, times, and each
// source's publisher, link and whether it is a near copy; no text. A page
// ranks a day's events on these, then reads in full only those it shows:
// the front page shows 25 of a day's hundreds.
func (s *Store) EventWeights(ctx context.Context, q events.Query) ([]events.Event, error) {
	where, args := eventWhere(q)
	query := `SELECT id, COALESCE(storyline_id, ''), size, first_seen, last_updated FROM events` + where + ` ORDER BY id`
	if q.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("query event weights: %w", err)
	}
	defer rows.Close()
	var out []events.Event
	at := map[string]int{}
	for rows.Next() {
		var ev events.Event
		var first, last int64
		if err := rows.Scan(&ev.ID, &ev.Storyline, &ev.Size, &first, &last); err != nil {
			return nil, fmt.Errorf("scan event weight: %w", err)
		}
		ev.FirstSeen, ev.LastUpdated = fromMS(first), fromMS(last)
		at[ev.ID] = len(out)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query event weights: %w", err)
	}
	return out, s.loadPublishers(ctx, query, args, out, at)
}

// loadPublishers adds to evs (at: index by id) their sources' publishers,
// links and copy flags, reading the items of the events selected by query.
func (s *Store) loadPublishers(ctx context.Context, query string, args []any, evs []events.Event, at map[string]int) error {
	if len(evs) == 0 {
		return nil
	}
	// The link is read only where there is no publisher to count by.
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT i.event_id, i.source, CASE WHEN i.source = '' THEN COALESCE(i.url, '') ELSE '' END,
		i.duplicate_of IS NOT NULL FROM items i WHERE i.event_id IN (SELECT id FROM (`+query+`) AS w) ORDER BY i.event_id`), args...)
	if err != nil {
		return fmt.Errorf("query event publishers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var src events.Source
		if err := rows.Scan(&id, &src.Publisher, &src.URL, &src.Duplicate); err != nil {
			return fmt.Errorf("scan event publisher: %w", err)
		}
		if i, ok := at[id]; ok {
			evs[i].Sources = append(evs[i].Sources, src)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query event publishers: %w", err)
	}
	return nil
}
