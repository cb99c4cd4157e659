package store

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
)

// placeAll puts every unplaced item in an event of its own, named by its
// title, and returns the events' ids by item id.
func placeAll(t *testing.T, s *Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	docs, err := s.UnclusteredDocs(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var as []events.Assignment
	var evs []events.Event
	for _, d := range docs {
		id := "ev-" + d.Title
		as = append(as, events.Assignment{DocID: d.ID, EventID: id, NewEvent: true})
		evs = append(evs, events.Event{ID: id, Headline: d.Title, FirstSeen: d.Published, LastUpdated: d.Published, Size: 1})
		out[d.ID] = id
	}
	if err := s.SaveClustering(ctx, events.Clustering{Assignments: as, Events: evs}); err != nil {
		t.Fatal(err)
	}
	return out
}

// An id once handed out never comes back: after retention prunes the
// newest item (and its event), the next item gets a new id, and the
// deduplicator's placement numbers go on from where they were.
func TestIDsNeverComeBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	old := item("x", "http://a.example/x", "X")
	old.Published = t0.Add(-10 * 24 * time.Hour)
	if _, err := s.SavePoll(ctx, f, []feeds.Item{old}, old.Published); err != nil {
		t.Fatal(err)
	}
	first := placeAll(t, s)
	through, err := s.PlacedThrough(ctx)
	if err != nil || through != 1 {
		t.Fatalf("placed through %d, %v; want 1", through, err)
	}
	if p, err := s.Prune(ctx, t0.Add(-4*24*time.Hour)); err != nil || p.Items != 1 {
		t.Fatalf("prune = %+v, %v; want the old item gone", p, err)
	}
	if _, err := s.SavePoll(ctx, f, []feeds.Item{item("y", "http://a.example/y", "Y")}, t0); err != nil {
		t.Fatal(err)
	}
	second := placeAll(t, s)
	for id := range second {
		if _, reused := first[id]; reused {
			t.Errorf("item id %s was handed out again after its item was pruned", id)
		}
	}
	if after, err := s.PlacedThrough(ctx); err != nil || after != 2 {
		t.Errorf("placed through %d after the prune, %v; want 2 (the sequence restarted)", after, err)
	}
	var seq int64
	if err := s.db.QueryRowContext(ctx, `SELECT cluster_seq FROM items`).Scan(&seq); err != nil || seq != 2 {
		t.Errorf("the new item's placement number is %d, %v; want 2", seq, err)
	}
}

// A digest and a feed that are deleted do not give their ids away either.
func TestDeletedRowsKeepTheirIDs(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a, _ := s.AddFeed(ctx, FeedSpec{URL: "http://a.example/rss", Topic: "world"}, OriginCLI, t0)
	b, _ := s.AddFeed(ctx, FeedSpec{URL: "http://b.example/rss", Topic: "world"}, OriginCLI, t0)
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM feeds WHERE id = ?`), b.ID); err != nil {
		t.Fatal(err)
	}
	c, err := s.AddFeed(ctx, FeedSpec{URL: "http://c.example/rss", Topic: "world"}, OriginCLI, t0)
	if err != nil || c.ID <= b.ID || c.ID == a.ID {
		t.Errorf("feed ids %d, %d, then %d after deleting the second (%v); want a new id", a.ID, b.ID, c.ID, err)
	}
}

// Copying a database whose newest rows were pruned carries the ids already
// handed out: the copy does not hand them out again either.
func TestCopyKeepsIDsHandedOut(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f, _ := src.AddFeed(ctx, FeedSpec{URL: "http://a.example/rss", Topic: "world"}, OriginCLI, t0)
	var items []feeds.Item
	for i := range 3 {
		it := item(strconv.Itoa(i), "http://a.example/"+strconv.Itoa(i), "S"+strconv.Itoa(i))
		it.Published = t0.Add(-time.Duration(10-i) * 24 * time.Hour)
		items = append(items, it)
	}
	if _, err := src.SavePoll(ctx, f, items, t0.Add(-10*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	placeAll(t, src)
	if _, err := src.Prune(ctx, t0); err != nil { // every item goes
		t.Fatal(err)
	}
	dst := openTest(t)
	if _, err := Copy(ctx, src, dst); err != nil {
		t.Fatal(err)
	}
	g, _ := dst.AddFeed(ctx, FeedSpec{URL: "http://b.example/rss", Topic: "world"}, OriginCLI, t0)
	if _, err := dst.SavePoll(ctx, g, []feeds.Item{item("new", "http://b.example/new", "New")}, t0); err != nil {
		t.Fatal(err)
	}
	for id := range placeAll(t, dst) {
		if n, _ := strconv.Atoi(id); n <= 3 {
			t.Errorf("the copy handed out item id %d again", n)
		}
	}
	if seq, err := dst.PlacedThrough(ctx); err != nil || seq != 4 {
		t.Errorf("placed through %d in the copy, %v; want 4", seq, err)
	}
}

// A SQLite database made before ids were AUTOINCREMENT is rebuilt by the
// migration with every row, index and reference kept, and from then on
// hands out no id twice; its placement numbers go on from the largest.
func TestMigrationMakesOldSQLiteIDsUnique(t *testing.T) {
	if testBackend != "sqlite" {
		t.Skip("a SQLite file's schema")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old := oldSQLite(t, path)
	for _, q := range []string{ // what two polls and a clustering round wrote
		`INSERT INTO feeds (url, created_at) VALUES ('http://a.example/rss', 1)`,
		`INSERT INTO feed_topics (feed_id, topic, origin) VALUES (1, 'world', 'cli')`,
		`INSERT INTO items (url, title, summary, content, text, author, source, lang, published, updated, hash, first_seen)
			VALUES ('http://a.example/1', 'One', '', '', '', '', '', '', 1, 1, 'h1', 1),
			('http://a.example/2', 'Two', '', '', '', '', '', '', 1, 1, 'h2', 1)`,
		`INSERT INTO item_feeds (feed_id, guid, item_id, hash) VALUES (1, '1', 1, 'h1'), (1, '2', 2, 'h2')`,
		`UPDATE items SET event_id = 'ev-' || id, cluster_seq = id + 40`,
	} {
		if _, err := old.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ddl string
	s.db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'items'`).Scan(&ddl)
	if !strings.Contains(ddl, "AUTOINCREMENT") {
		t.Errorf("items after the migration: %s", ddl)
	}
	if keys, err := s.ItemKeys(ctx); err != nil || len(keys) != 2 {
		t.Errorf("feed memberships after the rebuild: %v, %v; want both", keys, err)
	}
	var indexes int
	s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items' AND sql IS NOT NULL`).Scan(&indexes)
	if indexes != 5 {
		t.Errorf("%d indexes on items after the rebuild, want 5", indexes)
	}
	if through, err := s.PlacedThrough(ctx); err != nil || through != 42 {
		t.Errorf("placed through %d, %v; want 42, where the old numbers ended", through, err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM items WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	f, err := s.Feed(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePoll(ctx, f, []feeds.Item{item("3", "http://a.example/3", "Three")}, t0); err != nil {
		t.Fatal(err)
	}
	var newest int64
	s.db.QueryRowContext(ctx, `SELECT MAX(id) FROM items`).Scan(&newest)
	if newest != 3 {
		t.Errorf("the next item got id %d, want 3", newest)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM feeds`); err != nil {
		t.Fatal(err)
	}
	if keys, _ := s.ItemKeys(ctx); len(keys) != 0 {
		t.Errorf("memberships still there after their feed was deleted: %v (the foreign keys were lost)", keys)
	}
}

// oldSQLite makes a database with the migrations before 0100, their id
// columns as SQLite's plain INTEGER PRIMARY KEY.
func oldSQLite(t *testing.T, path string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := OpenUnmigrated(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.dialect.idColumn = "INTEGER PRIMARY KEY"
	migrateBelow(t, s, 100)
	return s
}

// migrateBelow applies the migrations older than version: the schema of
// an older release.
func migrateBelow(t *testing.T, s *Store, version int) {
	t.Helper()
	ctx := context.Background()
	list, err := s.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.Version >= version {
			break
		}
		if _, err := s.applyMigration(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}
