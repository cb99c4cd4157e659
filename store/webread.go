package store

import (
	"context"

	"herald/events"
)

// LargestEvents returns the events q selects, the most reported first
// (then the most recently updated, then by id), each with its sources: a
// day's briefing in reading order, or its first few lines with q.Limit.
func (s *Store) LargestEvents(ctx context.Context, q EventQuery) ([]events.Event, error) {
	where, args := q.where()
	return s.queryEvents(ctx, where, args, `size DESC, last_updated DESC, id`, q.Limit)
}
