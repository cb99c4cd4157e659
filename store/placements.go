package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"herald/events"
)

// The write side of the deduplicator: a batch of placements, with the
// records of the events and storylines they touched, in one transaction.

// SaveClustering records a batch of decisions in one transaction.
func (s *Store) SaveClustering(ctx context.Context, cl events.Clustering) error {
	as, evs, related := cl.Assignments, cl.Events, cl.Related
	err := s.inTx(ctx, func(tx *txn) error {
		last, err := nextSeq(ctx, tx, "cluster_seq", len(as))
		if err != nil {
			return err
		}
		seq := last - int64(len(as))
		for _, a := range as {
			seq++
			var dup sql.NullInt64
			if a.DuplicateOf != "" {
				v, _ := strconv.ParseInt(a.DuplicateOf, 10, 64)
				dup = sql.NullInt64{Int64: v, Valid: true}
			}
			// An item is placed once: a leader that lost its lock mid-batch
			// cannot move what the new leader already placed.
			if err := tx.exec(ctx, `UPDATE items SET event_id = ?, duplicate_of = ?, cluster_seq = ? WHERE id = ? AND event_id IS NULL`,
				a.EventID, dup, seq, a.DocID); err != nil {
				return fmt.Errorf("place item %s in event %s: %w", a.DocID, a.EventID, err)
			}
			for _, old := range a.MergedStorylines {
				if err := foldStoryline(ctx, tx, old, a.StorylineID); err != nil {
					return err
				}
			}
		}
		if err := saveEvents(ctx, tx, as, evs, related); err != nil {
			return err
		}
		for _, st := range cl.Storylines {
			if err := saveStoryline(ctx, tx, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.keptData()
	}
	return err
}

// foldStoryline moves the events of storyline old into storyline into,
// drops old, and keeps old as an alias of into so that links to it still
// resolve.
func foldStoryline(ctx context.Context, tx *txn, old, into string) error {
	for _, q := range []string{
		`UPDATE events SET storyline_id = ? WHERE storyline_id = ?`,
		`UPDATE storyline_aliases SET new_id = ? WHERE new_id = ?`,
	} {
		if err := tx.exec(ctx, q, into, old); err != nil {
			return fmt.Errorf("fold storyline %s into %s: %w", old, into, err)
		}
	}
	if err := tx.exec(ctx, `DELETE FROM storylines WHERE id = ?`, old); err != nil {
		return fmt.Errorf("fold storyline %s into %s: %w", old, into, err)
	}
	err := tx.exec(ctx, `INSERT INTO storyline_aliases (old_id, new_id) VALUES (?, ?)
		ON CONFLICT (old_id) DO UPDATE SET new_id = excluded.new_id`, old, into)
	if err != nil {
		return fmt.Errorf("fold storyline %s into %s: %w", old, into, err)
	}
	return nil
}

func saveStoryline(ctx context.Context, tx *txn, st events.Storyline) error {
	ents, _ := json.Marshal(nonNil(st.Entities))
	err := tx.exec(ctx, `INSERT INTO storylines (id, name, first_seen, last_updated, events, size, entities)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,
		first_seen = excluded.first_seen, last_updated = excluded.last_updated, events = excluded.events,
		size = excluded.size, entities = excluded.entities`,
		st.ID, st.Name, ms(st.FirstSeen), ms(st.LastUpdated), len(st.Events), st.Size, string(ents))
	if err != nil {
		return fmt.Errorf("save storyline %s: %w", st.ID, err)
	}
	return nil
}

// saveEvents writes the records of a batch's events and replaces their
// relations, a few statements for the whole batch: one statement per event
// and relation cost more than the deduplicator's own work.
func saveEvents(ctx context.Context, tx *txn, as []events.Assignment, evs []events.Event, related map[string][]events.Relation) error {
	titles, err := headlineTitles(ctx, tx, evs)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if err := saveEvent(ctx, tx, ev, titles); err != nil {
			return err
		}
	}
	// An event opened in this batch has no relations stored yet.
	opened := map[string]bool{}
	for _, a := range as {
		if a.NewEvent {
			opened[a.EventID] = true
		}
	}
	var gone, rels [][]any
	for _, ev := range evs {
		if !opened[ev.ID] {
			gone = append(gone, []any{ev.ID})
		}
		for _, r := range related[ev.ID] {
			shared, _ := json.Marshal(nonNil(r.Shared))
			rels = append(rels, []any{ev.ID, r.EventID, string(shared)})
		}
	}
	err = inBatches(gone, func(args []any) error { return tx.exec(ctx, qDeleteRelations, args...) })
	if err != nil {
		return fmt.Errorf("replace event relations: %w", err)
	}
	if err := inBatches(rels, func(args []any) error { return tx.exec(ctx, qInsertRelations, args...) }); err != nil {
		return fmt.Errorf("save event relations: %w", err)
	}
	return nil
}

var (
	qDeleteRelations = `DELETE FROM event_relations WHERE event_id IN (` + placeholders(batch, 1) + `)`
	// The last group of a batch is padded with copies of its last row.
	qInsertRelations = `INSERT INTO event_relations (event_id, related_id, shared) VALUES ` + placeholders(batch, 3) +
		` ON CONFLICT (event_id, related_id) DO NOTHING`
	qHeadlineTitles = `SELECT id, title FROM items WHERE id IN (` + placeholders(batch, 1) + `)`
)

func saveEvent(ctx context.Context, tx *txn, ev events.Event, titles map[int64]string) error {
	ents, _ := json.Marshal(nonNil(ev.Entities))
	topics, _ := json.Marshal(nonNil(ev.Topics))
	headline := ev.Headline
	if id, ok := headlineItem(ev); ok {
		if t, ok := titles[id]; ok {
			headline = t
		}
	}
	var story sql.NullString
	if ev.Storyline != "" {
		story = sql.NullString{String: ev.Storyline, Valid: true}
	}
	links := []string{}
	for _, src := range ev.Sources {
		if src.Link {
			links = append(links, src.DocID)
		}
	}
	linksJSON, _ := json.Marshal(links)
	err := tx.exec(ctx, `INSERT INTO events (id, headline, summary, first_seen, last_updated, size, entities, topics, storyline_id, links)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET headline = excluded.headline,
		summary = excluded.summary, first_seen = excluded.first_seen,
		last_updated = CASE WHEN excluded.last_updated > events.last_updated THEN excluded.last_updated ELSE events.last_updated END,
		size = excluded.size, entities = excluded.entities, topics = excluded.topics, storyline_id = excluded.storyline_id,
		links = excluded.links`,
		ev.ID, headline, ev.Summary, ms(ev.FirstSeen), ms(ev.LastUpdated), ev.Size, string(ents), string(topics), story, string(linksJSON))
	if err != nil {
		return fmt.Errorf("save event %s: %w", ev.ID, err)
	}
	return nil
}

// headlineItem is the event's headline item: the earliest source whose
// title, as the deduplicator read it, is the headline. Its stored title is
// the headline (the report may have been edited since it was read).
func headlineItem(ev events.Event) (int64, bool) {
	for _, src := range ev.Sources {
		if src.Title == ev.Headline {
			id, err := strconv.ParseInt(src.DocID, 10, 64)
			return id, err == nil
		}
	}
	return 0, false
}

// headlineTitles reads the stored titles of the events' headline items.
func headlineTitles(ctx context.Context, tx *txn, evs []events.Event) (map[int64]string, error) {
	var ids [][]any
	for _, ev := range evs {
		if id, ok := headlineItem(ev); ok {
			ids = append(ids, []any{id})
		}
	}
	titles := make(map[int64]string, len(ids))
	err := inBatches(ids, func(args []any) error {
		return tx.query(ctx, qHeadlineTitles, args, func(rows *sql.Rows) error {
			var id int64
			var title string
			if err := rows.Scan(&id, &title); err != nil {
				return err
			}
			titles[id] = title
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read headlines: %w", err)
	}
	return titles, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
