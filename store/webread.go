package store

import (
	"context"
	"fmt"
	"strconv"

	"herald/events"
)

// LargestEvents returns the events q selects, the most reported first
// (then the most recently updated, then by id), each with its sources: a
// day's briefing in reading order, or its first few lines with q.Limit.
func (s *Store) LargestEvents(ctx context.Context, q EventQuery) ([]events.Event, error) {
	where, args := q.where()
	query := `SELECT id, headline, summary, first_seen, last_updated, size, entities, topics
		FROM events` + where + ` ORDER BY size DESC, last_updated DESC, id`
	if q.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("query largest events: %w", err)
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query largest events: %w", err)
	}
	return out, s.loadSources(ctx, out)
}
