package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"herald/events"
)

// Storyline returns a storyline with its events, oldest first, each with
// its sources. An id folded into another storyline resolves to that one,
// so old links keep working. The record's Events, Size and times are read
// from the events it holds now; ErrNotFound when it holds none.
func (s *Store) Storyline(ctx context.Context, id string) (events.Storyline, []events.Event, error) {
	id, err := s.resolveStoryline(ctx, id)
	if err != nil {
		return events.Storyline{}, nil, err
	}
	evs, err := s.queryEvents(ctx, ` WHERE storyline_id = ?`, []any{id}, `first_seen, id`, 0)
	if err != nil {
		return events.Storyline{}, nil, fmt.Errorf("storyline %s: %w", id, err)
	}
	if len(evs) == 0 {
		return events.Storyline{}, nil, fmt.Errorf("storyline %s: %w", id, ErrNotFound)
	}
	recs, err := s.Storylines(ctx, []string{id})
	if err != nil {
		return events.Storyline{}, nil, err
	}
	return recs[id], evs, nil
}

// resolveStoryline returns the id a storyline lives on: id itself, or the
// storyline it was folded into.
func (s *Store) resolveStoryline(ctx context.Context, id string) (string, error) {
	var to string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT new_id FROM storyline_aliases WHERE old_id = ?`), id).Scan(&to)
	switch {
	case err == nil:
		return to, nil
	case errors.Is(err, sql.ErrNoRows):
		return id, nil
	}
	return "", fmt.Errorf("resolve storyline %s: %w", id, err)
}

// Storylines returns the storylines named by ids that hold events, by id:
// the deduplicator's record (name, names involved) with its Events (ids,
// oldest first), Size and times read from the events it holds now. (The
// record the deduplicator saves counts only the events it still holds in
// memory.) A storyline without a record gets its id and an empty name.
func (s *Store) Storylines(ctx context.Context, ids []string) (map[string]events.Storyline, error) {
	out := make(map[string]events.Storyline, len(ids))
	for start := 0; start < len(ids); start += 200 {
		batch := ids[start:min(start+200, len(ids))]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		if err := s.storylineEvents(ctx, args, out); err != nil {
			return nil, err
		}
		if err := s.storylineRecords(ctx, args, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// storylineEvents adds the events of the storylines args names to out.
func (s *Store) storylineEvents(ctx context.Context, args []any, out map[string]events.Storyline) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT storyline_id, id, size, first_seen, last_updated FROM events
		WHERE storyline_id IN (`+placeholders(len(args), 1)+`) ORDER BY first_seen, id`), args...)
	if err != nil {
		return fmt.Errorf("query storyline events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var story, id string
		var size int
		var first, last int64
		if err := rows.Scan(&story, &id, &size, &first, &last); err != nil {
			return fmt.Errorf("scan storyline event: %w", err)
		}
		st, ok := out[story]
		if !ok {
			st = events.Storyline{ID: story, FirstSeen: fromMS(first)}
		}
		st.Events = append(st.Events, id)
		st.Size += size
		if t := fromMS(last); t.After(st.LastUpdated) {
			st.LastUpdated = t
		}
		out[story] = st
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query storyline events: %w", err)
	}
	return nil
}

// storylineRecords fills in the name and names of the storylines of out
// that args names.
func (s *Store) storylineRecords(ctx context.Context, args []any, out map[string]events.Storyline) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, name, entities FROM storylines
		WHERE id IN (`+placeholders(len(args), 1)+`)`), args...)
	if err != nil {
		return fmt.Errorf("query storylines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, ents string
		if err := rows.Scan(&id, &name, &ents); err != nil {
			return fmt.Errorf("scan storyline: %w", err)
		}
		st, ok := out[id]
		if !ok {
			continue // no event left in it: retention drops it
		}
		st.Name = name
		if err := json.Unmarshal([]byte(ents), &st.Entities); err != nil {
			return fmt.Errorf("storyline %s: entities: %w", id, err)
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query storylines: %w", err)
	}
	return nil
}
