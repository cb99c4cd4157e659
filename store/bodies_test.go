package store

import (
	"context"
	"herald/events"
	"herald/feeds"
	"testing"
)

// A database whose items hold their text in their rows (before migration
// 800) keeps every item's summary, content and text after it: they move
// to item_bodies, the deduplicator reads the text from there, deleting an
// item deletes its body, and no id handed out before comes back.
func TestMigrationMovesItemBodies(t *testing.T) {
	ctx := context.Background()
	dsn := testDSN(t)
	s, err := OpenUnmigrated(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	migrateBelow(t, s, 800)
	for _, q := range []string{
		`INSERT INTO items (url, title, summary, content, text, author, source, lang, published, updated, hash, first_seen)
			VALUES ('http://a.example/1', 'One', '<p>First summary</p>', '<p>First content</p>', 'First summary First content', '', 'A', '', 1, 1, 'h1', 1),
			('http://a.example/2', 'Two', '<p>Second</p>', '', 'Second', '', 'A', '', 2, 2, 'h2', 1),
			('http://a.example/3', 'Three', '', '', '', '', 'A', '', 3, 3, 'h3', 1)`,
		`DELETE FROM items WHERE url = 'http://a.example/3'`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s, err = Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var summary, content, text string
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT b.summary, b.content, b.text FROM item_bodies b
		JOIN items i ON i.id = b.item_id WHERE i.url = ?`), "http://a.example/1").Scan(&summary, &content, &text); err != nil {
		t.Fatalf("the first item's body after the migration: %v", err)
	}
	if summary != "<p>First summary</p>" || content != "<p>First content</p>" || text != "First summary First content" {
		t.Errorf("body after the migration: %q, %q, %q", summary, content, text)
	}
	docs, err := s.UnclusteredDocs(ctx, 10)
	if err != nil || len(docs) != 2 || docs[0].Text != "First summary First content" || docs[1].Text != "Second" {
		t.Fatalf("the deduplicator's backlog after the migration: %+v, %v", docs, err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM items WHERE url = 'http://a.example/2'`); err != nil {
		t.Fatal(err)
	}
	var bodies int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM item_bodies`).Scan(&bodies); err != nil || bodies != 1 {
		t.Errorf("%d bodies after deleting one of two items (%v), want 1", bodies, err)
	}
	f := addFeedA(t, s)
	if _, err := s.SavePoll(ctx, f, []feeds.Item{item("4", "http://a.example/4", "Four")}, t0); err != nil {
		t.Fatal(err)
	}
	var newest int64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(id) FROM items`).Scan(&newest); err != nil || newest <= 3 {
		t.Errorf("the item stored after the migration has id %d (%v): an id handed out before came back", newest, err)
	}
}

// An event's summary is its headline item's lead, as the deduplicator
// handed it over with the item's placement; an item placed before leads
// were stored lends the start of its text instead.
func TestEventSummaryIsTheHeadlineLead(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	one, two := item("1", "http://a.example/1", "One"), item("2", "http://a.example/2", "Two")
	one.Text, two.Text = "One's text, with the channel's blurb", "Two's text"
	if _, err := s.SavePoll(ctx, f, []feeds.Item{one, two}, t0); err != nil {
		t.Fatal(err)
	}
	docs, err := s.UnclusteredDocs(ctx, 10)
	if err != nil || len(docs) != 2 {
		t.Fatalf("backlog: %v, %v", docs, err)
	}
	// The second item is placed as before migration 900: no lead.
	if _, err := s.db.ExecContext(ctx, s.q(`UPDATE items SET event_id = 'ev-b', cluster_seq = 1 WHERE id = ?`), docs[1].ID); err != nil {
		t.Fatal(err)
	}
	err = s.SaveClustering(ctx, events.Clustering{
		Assignments: []events.Assignment{{DocID: docs[0].ID, EventID: "ev-a", NewEvent: true, Lead: "One's text"}},
		Events: []events.Event{
			{ID: "ev-a", Headline: "One", HeadlineDoc: docs[0].ID, Size: 1, FirstSeen: t0, LastUpdated: t0},
			{ID: "ev-b", Headline: "Two", HeadlineDoc: docs[1].ID, Size: 1, FirstSeen: t0, LastUpdated: t0},
		}})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"ev-a": "One's text", "ev-b": "Two's text"} {
		ev, _, err := s.Event(ctx, id)
		if err != nil || ev.Summary != want {
			t.Errorf("event %s: summary %q (%v), want %q", id, ev.Summary, err, want)
		}
	}
}
