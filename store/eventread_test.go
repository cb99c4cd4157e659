package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
)

// TestEventsReadBack stores two events through the deduplicator's path and
// reads them back the way the web pages and digests do.
func TestEventsReadBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	items := []feeds.Item{item("1", "http://a.example/1", "One"), item("2", "http://a.example/2", "Two"),
		item("3", "http://a.example/3", "Three")}
	items[1].Published = t0.Add(time.Hour)
	if _, err := s.SavePoll(ctx, f, items, t0); err != nil {
		t.Fatal(err)
	}
	docs, err := s.UnclusteredDocs(ctx, 10)
	if err != nil || len(docs) != 3 {
		t.Fatalf("unclustered: %d, %v", len(docs), err)
	}
	evA := events.Event{ID: "ev-a", Headline: "One", FirstSeen: t0, LastUpdated: t0.Add(time.Hour), Size: 2,
		Entities: []string{"Korea"}, Topics: []string{"world"}, Storyline: "sl-korea",
		Sources: []events.Source{{DocID: docs[2].ID, Link: true}}} // the later report is the one to link
	evB := events.Event{ID: "ev-b", Headline: "Three", FirstSeen: t0, LastUpdated: t0, Size: 1, Topics: []string{"tech"}}
	as := []events.Assignment{{DocID: docs[0].ID, EventID: "ev-a"}, {DocID: docs[1].ID, EventID: "ev-b"},
		{DocID: docs[2].ID, EventID: "ev-a", DuplicateOf: docs[0].ID}}
	rel := map[string][]events.Relation{"ev-a": {{EventID: "ev-b", Shared: []string{"Korea"}}}}
	if err := s.SaveClustering(ctx, events.Clustering{Assignments: as, Events: []events.Event{evA, evB}, Related: rel}); err != nil {
		t.Fatal(err)
	}

	all, err := s.Events(ctx, events.Query{})
	if err != nil || len(all) != 2 || all[0].ID != "ev-a" {
		t.Fatalf("all events, newest first: %+v, %v", all, err)
	}
	if n := len(all[0].Sources); n != 2 || !all[0].Sources[1].Duplicate || all[0].Sources[0].URL == "" {
		t.Fatalf("sources of ev-a: %+v", all[0].Sources)
	}
	if src := all[0].Sources; src[0].Link || !src[1].Link || all[0].Storyline != "sl-korea" || all[1].Storyline != "" {
		t.Fatalf("links and storylines read back: %+v; %q, %q", src, all[0].Storyline, all[1].Storyline)
	}
	world, err := s.Events(ctx, events.Query{Topics: []string{"world"}, UpdatedAfter: t0.Add(time.Minute)})
	if err != nil || len(world) != 1 || world[0].ID != "ev-a" {
		t.Fatalf("world since t0+1m: %+v, %v", world, err)
	}
	none, err := s.Events(ctx, events.Query{FirstSeenBefore: t0})
	if err != nil || len(none) != 0 {
		t.Fatalf("first seen before t0: %+v, %v", none, err)
	}
	ev, rels, err := s.Event(ctx, "ev-a")
	if err != nil || ev.Headline != "One" || len(rels) != 1 || rels[0].Shared[0] != "Korea" {
		t.Fatalf("event ev-a: %+v %+v %v", ev, rels, err)
	}
	if _, _, err := s.Event(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing event: %v, want ErrNotFound", err)
	}
	// ev-b folded into ev-a (by an earlier Herald, whose deduplicator
	// folded events): its old id still resolves.
	if err := foldForTest(ctx, s, "ev-b", "ev-a"); err != nil {
		t.Fatal(err)
	}
	if ev, _, err := s.Event(ctx, "ev-b"); err != nil || ev.ID != "ev-a" || len(ev.Sources) != 3 {
		t.Fatalf("folded id: %+v, %v", ev, err)
	}
}

// The deduplicator gets an item's plain text, never its HTML summary.
func TestDocsArePlainText(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	it := item("1", "http://a.example/1", "One")
	it.Summary, it.Text = "<p>Talks <b>resume</b> in Seoul</p>", "Talks resume in Seoul"
	if _, err := s.SavePoll(ctx, f, []feeds.Item{it}, t0); err != nil {
		t.Fatal(err)
	}
	docs, err := s.UnclusteredDocs(ctx, 10)
	if err != nil || len(docs) != 1 {
		t.Fatalf("unclustered: %v, %v", docs, err)
	}
	if d := docs[0]; d.Summary != "" || d.Text != "Talks resume in Seoul" {
		t.Errorf("doc summary %q, text %q: want no HTML, the plain text", d.Summary, d.Text)
	}
}

// foldForTest does what an earlier Herald did when its deduplicator folded
// event old into into: the items move, old goes, and an alias remains.
func foldForTest(ctx context.Context, s *Store, old, into string) error {
	for _, q := range []string{
		`UPDATE items SET event_id = '` + into + `' WHERE event_id = '` + old + `'`,
		`DELETE FROM events WHERE id = '` + old + `'`,
		`INSERT INTO event_aliases (old_id, new_id) VALUES ('` + old + `', '` + into + `')`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// A later save of an event replaces its relations; the first save of an
// event opened in its batch writes them in one statement with the rest.
func TestEventRelationsAreReplaced(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	docs := unplacedDocs(t, s, 40)
	save := func(docs []events.Doc, opened bool, related func(i int) []string) {
		t.Helper()
		cl := events.Clustering{Related: map[string][]events.Relation{}}
		for i, d := range docs {
			id := fmt.Sprint("ev-", i)
			cl.Assignments = append(cl.Assignments, events.Assignment{DocID: d.ID, EventID: id, NewEvent: opened})
			cl.Events = append(cl.Events, events.Event{ID: id, Headline: d.Title, FirstSeen: t0, LastUpdated: t0, Size: 1,
				Sources: []events.Source{{DocID: d.ID, Title: d.Title}}})
			for _, r := range related(i) {
				cl.Related[id] = append(cl.Related[id], events.Relation{EventID: r, Shared: []string{"x"}})
			}
		}
		if err := s.SaveClustering(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	// 35 events with 2 relations each: more than one statement's rows.
	save(docs[:35], true, func(i int) []string { return []string{fmt.Sprint("ev-", i+1), fmt.Sprint("ev-", i+2)} })
	save(docs[35:], false, func(i int) []string { return []string{"ev-0"} }) // ev-0..4 again, other relations
	for i, want := range map[int][]string{0: {"ev-0"}, 4: {"ev-0"}, 5: {"ev-6", "ev-7"}, 34: {"ev-35", "ev-36"}} {
		_, rels, err := s.Event(ctx, fmt.Sprint("ev-", i))
		var got []string
		for _, r := range rels {
			got = append(got, r.EventID)
		}
		slices.Sort(got)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("relations of ev-%d: %v, %v; want %v", i, got, err, want)
		}
	}
}

// unplacedDocs stores n items in feed A and returns them as the
// deduplicator's backlog gives them.
func unplacedDocs(t *testing.T, s *Store, n int) []events.Doc {
	t.Helper()
	var items []feeds.Item
	for i := range n {
		items = append(items, item(fmt.Sprint("g", i), fmt.Sprint("http://a.example/", i), fmt.Sprint("Story ", i)))
	}
	if _, err := s.SavePoll(context.Background(), addFeedA(t, s), items, t0); err != nil {
		t.Fatal(err)
	}
	docs, err := s.UnclusteredDocs(context.Background(), n)
	if err != nil || len(docs) != n {
		t.Fatalf("backlog: %d docs of %d, %v", len(docs), n, err)
	}
	return docs
}
