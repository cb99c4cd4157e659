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
		if err := placeItems(ctx, tx, as, last-int64(len(as))); err != nil {
			return err
		}
		for _, a := range as {
			for _, old := range a.MergedStorylines {
				if err := foldStoryline(ctx, tx, old, a.StorylineID); err != nil {
					return err
				}
			}
		}
		if err := saveEvents(ctx, tx, as, evs, related); err != nil {
			return err
		}
		if err := saveStorylines(ctx, tx, cl.Storylines); err != nil {
			return err
		}
		return nil
	})
	if err == nil {
		s.keptData()
	}
	return err
}

// placeItems records each item's event and placement number (after seq,
// in order). An item is placed once: a leader that lost its lock mid-batch
// cannot move what the new leader already placed. SQLite takes batch items
// a statement, a lookup by id each (TestQueryPlans); PostgreSQL one a
// statement, cheap there, because it plans a join with a list by its
// statistics, which lag a first refresh's inserts: on an unanalysed table
// it hashes the whole backlog for every statement.
func placeItems(ctx context.Context, tx *txn, as []events.Assignment, seq int64) error {
	rows := make([][]any, 0, len(as))
	for _, a := range as {
		seq++
		id, err := strconv.ParseInt(a.DocID, 10, 64)
		if err != nil {
			return fmt.Errorf("place item %q: not an item id", a.DocID)
		}
		var dup sql.NullInt64
		if a.DuplicateOf != "" {
			v, _ := strconv.ParseInt(a.DuplicateOf, 10, 64)
			dup = sql.NullInt64{Int64: v, Valid: true}
		}
		rows = append(rows, []any{id, a.EventID, dup, seq, a.Lead})
	}
	if tx.s.dialect.name == "sqlite" {
		if err := inBatches(rows, func(args []any) error { return tx.exec(ctx, qPlaceItems, args...) }); err != nil {
			return fmt.Errorf("place items: %w", err)
		}
		return nil
	}
	for _, r := range rows {
		if err := tx.exec(ctx, qPlaceItem, r[1], r[2], r[3], r[4], r[0]); err != nil {
			return fmt.Errorf("place item %d in event %s: %w", r[0], r[1], err)
		}
	}
	return nil
}

const qPlaceItem = `UPDATE items SET event_id = ?, duplicate_of = ?, cluster_seq = ?, lead = ?
	WHERE id = ? AND event_id IS NULL`

// qPlaceItems updates items from a list of (id, event, duplicate of,
// placement number, lead). The first row's casts type the list's columns
// for PostgreSQL; padding repeats the last row, which updates its item
// once.
var qPlaceItems = `UPDATE items SET event_id = v.column2, duplicate_of = v.column3, cluster_seq = v.column4,
	lead = v.column5
	FROM (VALUES (CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT)), ` +
	placeholders(batch-1, 5) + `) AS v
	WHERE items.id = v.column1 AND items.event_id IS NULL`

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

func saveStorylines(ctx context.Context, tx *txn, sts []events.Storyline) error {
	rows := make([][]any, 0, len(sts))
	for _, st := range sts {
		ents, _ := json.Marshal(nonNil(st.Entities))
		rows = append(rows, []any{st.ID, st.Name, ms(st.FirstSeen), ms(st.LastUpdated), len(st.Events), st.Size, string(ents)})
	}
	err := upsertRows(ctx, tx, `INSERT INTO storylines (id, name, first_seen, last_updated, events, size, entities) VALUES `,
		` ON CONFLICT (id) DO UPDATE SET name = excluded.name,
		first_seen = excluded.first_seen, last_updated = excluded.last_updated, events = excluded.events,
		size = excluded.size, entities = excluded.entities`, 7, rows)
	if err != nil {
		return fmt.Errorf("save storylines: %w", err)
	}
	return nil
}

// upsertRows inserts rows (each of width values) head VALUES ... tail, up
// to batch rows a statement. The last statement has the rows that are left,
// not padding: an upsert may not touch one row twice (PostgreSQL refuses).
func upsertRows(ctx context.Context, tx *txn, head, tail string, width int, rows [][]any) error {
	for len(rows) > 0 {
		n := min(batch, len(rows))
		args := make([]any, 0, n*width)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if err := tx.exec(ctx, head+placeholders(n, width)+tail, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// saveEvents writes the records of a batch's events and replaces their
// relations, a few statements for the whole batch: one statement per event
// and relation cost more than the deduplicator's own work.
func saveEvents(ctx context.Context, tx *txn, as []events.Assignment, evs []events.Event, related map[string][]events.Relation) error {
	heads, err := headlines(ctx, tx, evs)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(evs))
	for _, ev := range evs {
		rows = append(rows, eventRow(ev, heads))
	}
	err = upsertRows(ctx, tx, `INSERT INTO events (id, headline, summary, first_seen, last_updated, size, entities, topics, storyline_id, links) VALUES `,
		` ON CONFLICT (id) DO UPDATE SET headline = excluded.headline,
		summary = excluded.summary, first_seen = excluded.first_seen,
		last_updated = CASE WHEN excluded.last_updated > events.last_updated THEN excluded.last_updated ELSE events.last_updated END,
		size = excluded.size, entities = excluded.entities, topics = excluded.topics, storyline_id = excluded.storyline_id,
		links = excluded.links`, 10, rows)
	if err != nil {
		return fmt.Errorf("save events: %w", err)
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
	// An item placed before leads were stored (migration 0900) has none:
	// the start of its text stands in, as long as a lead can be (280
	// characters, events' summary length).
	qHeadlines = `SELECT i.id, i.title,
		COALESCE(i.lead, (SELECT SUBSTR(b.text, 1, 280) FROM item_bodies b WHERE b.item_id = i.id), '')
		FROM items i WHERE i.id IN (` + placeholders(batch, 1) + `)`
)

// headline is what the store holds of an event's headline item: its title,
// which may have been edited since the deduplicator read it, and its lead.
type headline struct{ title, lead string }

// eventRow is an event's record, with the stored title of its headline
// item as the headline and its lead as the summary. The deduplicator's
// records carry neither (events.Event.Headline); a record whose headline
// item is not stored keeps its own.
func eventRow(ev events.Event, heads map[int64]headline) []any {
	ents, _ := json.Marshal(nonNil(ev.Entities))
	topics, _ := json.Marshal(nonNil(ev.Topics))
	title, summary := ev.Headline, ev.Summary
	if id, ok := headlineItem(ev); ok {
		if h, ok := heads[id]; ok {
			title, summary = h.title, h.lead
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
	return []any{ev.ID, title, summary, ms(ev.FirstSeen), ms(ev.LastUpdated), ev.Size, string(ents), string(topics), story, string(linksJSON)}
}

// headlineItem is the event's headline item (events.Event.HeadlineDoc).
func headlineItem(ev events.Event) (int64, bool) {
	id, err := strconv.ParseInt(ev.HeadlineDoc, 10, 64)
	return id, err == nil
}

// headlines reads the stored titles and leads of the events' headline
// items.
func headlines(ctx context.Context, tx *txn, evs []events.Event) (map[int64]headline, error) {
	var ids [][]any
	for _, ev := range evs {
		if id, ok := headlineItem(ev); ok {
			ids = append(ids, []any{id})
		}
	}
	heads := make(map[int64]headline, len(ids))
	err := inBatches(ids, func(args []any) error {
		return tx.query(ctx, qHeadlines, args, func(rows *sql.Rows) error {
			var id int64
			var h headline
			if err := rows.Scan(&id, &h.title, &h.lead); err != nil {
				return err
			}
			heads[id] = h
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read headlines: %w", err)
	}
	return heads, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
