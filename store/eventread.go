package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"herald/events"
)

// Events returns the events q selects, most recently updated first, each
// with its sources (by publication time).
func (s *Store) Events(ctx context.Context, q events.Query) ([]events.Event, error) {
	where, args := eventWhere(q)
	return s.queryEvents(ctx, where, args, `last_updated DESC, id`, q.Limit)
}

// queryEvents reads the events a WHERE clause selects, in order, with
// their sources.
func (s *Store) queryEvents(ctx context.Context, where string, args []any, order string, limit int) ([]events.Event, error) {
	query := `SELECT id, headline, summary, first_seen, last_updated, size, entities, topics, COALESCE(storyline_id, ''), links
		FROM events` + where + ` ORDER BY ` + order
	if limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("query events: %w", err)
	}
	defer rows.Close()
	var out []events.Event
	linked := map[string]bool{}
	for rows.Next() {
		ev, links, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
		for _, id := range links {
			linked[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query events: %w", err)
	}
	return out, s.loadSources(ctx, out, linked)
}

func eventWhere(q events.Query) (string, []any) {
	var conds []string
	var args []any
	if len(q.IDs) > 0 {
		conds = append(conds, `id IN (`+placeholders(len(q.IDs), 1)+`)`)
		for _, id := range q.IDs {
			args = append(args, id)
		}
	}
	if len(q.Topics) > 0 {
		// topics is a JSON array of names; names never contain a quote.
		var ors []string
		for _, t := range q.Topics {
			ors = append(ors, `topics LIKE ?`)
			args = append(args, `%"`+t+`"%`)
		}
		conds = append(conds, `(`+strings.Join(ors, ` OR `)+`)`)
	}
	for _, c := range []struct {
		expr string
		t    time.Time
	}{
		{`last_updated >= ?`, q.UpdatedAfter}, {`last_updated < ?`, q.UpdatedBefore},
		{`first_seen >= ?`, q.FirstSeenAfter}, {`first_seen < ?`, q.FirstSeenBefore},
	} {
		if !c.t.IsZero() {
			conds = append(conds, c.expr)
			args = append(args, ms(c.t))
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(conds, ` AND `), args
}

// scanEvent reads an event row; the ids of its linked reports are
// returned apart, for loadSources to mark.
func scanEvent(rows *sql.Rows) (events.Event, []string, error) {
	var ev events.Event
	var first, last int64
	var ents, topics, links string
	if err := rows.Scan(&ev.ID, &ev.Headline, &ev.Summary, &first, &last, &ev.Size, &ents, &topics, &ev.Storyline, &links); err != nil {
		return ev, nil, fmt.Errorf("scan event: %w", err)
	}
	var linked []string
	if err := json.Unmarshal([]byte(links), &linked); err != nil {
		return ev, nil, fmt.Errorf("event %s: links: %w", ev.ID, err)
	}
	ev.FirstSeen, ev.LastUpdated = fromMS(first), fromMS(last)
	if err := json.Unmarshal([]byte(ents), &ev.Entities); err != nil {
		return ev, nil, fmt.Errorf("event %s: entities: %w", ev.ID, err)
	}
	if err := json.Unmarshal([]byte(topics), &ev.Topics); err != nil {
		return ev, nil, fmt.Errorf("event %s: topics: %w", ev.ID, err)
	}
	return ev, linked, nil
}

// loadSources fills in the sources of evs with one query per batch, and
// marks the linked ones.
func (s *Store) loadSources(ctx context.Context, evs []events.Event, linked map[string]bool) error {
	at := make(map[string]int, len(evs))
	for i, ev := range evs {
		at[ev.ID] = i
	}
	for start := 0; start < len(evs); start += 200 {
		batch := evs[start:min(start+200, len(evs))]
		args := make([]any, len(batch))
		for i, ev := range batch {
			args[i] = ev.ID
		}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT event_id, id, source, title, COALESCE(url, ''), published,
			duplicate_of IS NOT NULL FROM items WHERE event_id IN (`+placeholders(len(batch), 1)+`)
			ORDER BY published, id`), args...)
		if err != nil {
			return fmt.Errorf("query event sources: %w", err)
		}
		for rows.Next() {
			var evID string
			var id, published int64
			var src events.Source
			if err := rows.Scan(&evID, &id, &src.Publisher, &src.Title, &src.URL, &published, &src.Duplicate); err != nil {
				rows.Close()
				return fmt.Errorf("scan event source: %w", err)
			}
			src.DocID, src.Published = strconv.FormatInt(id, 10), fromMS(published)
			src.Link = linked[src.DocID]
			ev := &evs[at[evID]]
			ev.Sources = append(ev.Sources, src)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("query event sources: %w", err)
		}
	}
	return nil
}

// Event returns one event with its sources and its related events. An id
// that was folded into another event resolves to that event, so old links
// keep working; ErrNotFound when neither exists.
func (s *Store) Event(ctx context.Context, id string) (events.Event, []events.Relation, error) {
	var to string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT new_id FROM event_aliases WHERE old_id = ?`), id).Scan(&to)
	if err == nil {
		id = to
	} else if !errors.Is(err, sql.ErrNoRows) {
		return events.Event{}, nil, fmt.Errorf("resolve event %s: %w", id, err)
	}
	evs, err := s.Events(ctx, events.Query{IDs: []string{id}})
	if err != nil {
		return events.Event{}, nil, err
	}
	if len(evs) == 0 {
		return events.Event{}, nil, fmt.Errorf("event %s: %w", id, ErrNotFound)
	}
	rels, err := s.relations(ctx, id)
	return evs[0], rels, err
}

func (s *Store) relations(ctx context.Context, id string) ([]events.Relation, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT related_id, shared FROM event_relations
		WHERE event_id = ? ORDER BY related_id`), id)
	if err != nil {
		return nil, fmt.Errorf("query relations of event %s: %w", id, err)
	}
	defer rows.Close()
	var out []events.Relation
	for rows.Next() {
		var r events.Relation
		var shared string
		if err := rows.Scan(&r.EventID, &shared); err != nil {
			return nil, fmt.Errorf("scan relation of event %s: %w", id, err)
		}
		if err := json.Unmarshal([]byte(shared), &r.Shared); err != nil {
			return nil, fmt.Errorf("relation of event %s: %w", id, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
