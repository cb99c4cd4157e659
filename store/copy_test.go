package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
)

// fillForCopy stores a bit of everything: feeds in topics, items shared
// between feeds, edited items, events with relations and an alias, a lease,
// an instance and a clusterer snapshot.
func fillForCopy(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	a, _ := s.AddFeed(ctx, FeedSpec{URL: "http://a.example/rss", Title: "A", Topic: "world"}, OriginConfig, t0)
	b, _ := s.AddFeed(ctx, FeedSpec{URL: "http://b.example/rss", Topic: "tech"}, OriginCLI, t0)
	s.AddFeed(ctx, FeedSpec{URL: "http://b.example/rss", Topic: "world"}, OriginCLI, t0)
	var items []feeds.Item
	for i := range 450 { // more than two copy batches
		it := item(fmt.Sprint("g", i), fmt.Sprint("http://news.example/", i), fmt.Sprint("Story ", i))
		it.Print = uint64(i + 1) // feed a keeps their prints (a BLOB)
		items = append(items, it)
	}
	a.ETag, a.NextPoll, a.LastStatus = `"x"`, t0.Add(time.Hour), feeds.StatusOK
	if _, err := s.SavePoll(ctx, a, items, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePoll(ctx, b, items[:10], t0); err != nil { // linked, not new
		t.Fatal(err)
	}
	docs, _ := s.UnclusteredDocs(ctx, 3)
	evs := []events.Event{{ID: "ev-a", Headline: "Story 0", FirstSeen: t0, LastUpdated: t0, Size: 2, Topics: []string{"world"}},
		{ID: "ev-b", Headline: "Story 2", FirstSeen: t0, LastUpdated: t0, Size: 1, Topics: []string{"world"}}}
	as := []events.Assignment{{DocID: docs[0].ID, EventID: "ev-a"}, {DocID: docs[1].ID, EventID: "ev-a", DuplicateOf: docs[0].ID},
		{DocID: docs[2].ID, EventID: "ev-b"}}
	rel := map[string][]events.Relation{"ev-a": {{EventID: "ev-b", Shared: []string{"Korea"}}}}
	if err := s.SaveClustering(ctx, events.Clustering{Assignments: as, Events: evs, Related: rel}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveClustering(ctx, events.Clustering{Events: []events.Event{{ID: "ev-c", Headline: "C", Size: 0}}}); err != nil {
		t.Fatal(err)
	}
	evs[0].Storyline, evs[1].Storyline = "sl-a", "sl-b"
	stories := []events.Storyline{{ID: "sl-a", Name: "Korea", FirstSeen: t0, LastUpdated: t0, Events: []string{"ev-a"}, Size: 2},
		{ID: "sl-b", Name: "Korea", FirstSeen: t0, LastUpdated: t0, Events: []string{"ev-b"}, Size: 1}}
	if err := s.SaveClustering(ctx, events.Clustering{Events: evs, Storylines: stories}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveClustering(ctx, events.Clustering{Assignments: []events.Assignment{{DocID: docs[2].ID, EventID: "ev-a", StorylineID: "sl-a", MergedStorylines: []string{"sl-b"}}}, Events: evs[:1], Related: rel}); err != nil {
		t.Fatal(err)
	}
	s.Heartbeat(ctx, "host-1-x", t0, t0, true)
	saveSnapshot(t, s, "v1", 4, payload(3<<20, 1))
}

// A SQLite installation copied into the backend under test (PostgreSQL in
// the suite's second run) reads back the same, and new rows get new ids.
func TestCopyMovesEverything(t *testing.T) {
	ctx := context.Background()
	src, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fillForCopy(t, src)
	dst := openTest(t)
	counts, err := Copy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	var names []string
	for _, c := range counts {
		total += c.Rows
		names = append(names, c.Table)
	}
	t.Logf("copied %d rows: %v", total, counts)
	if strings.Index(strings.Join(names, " "), "feeds") > strings.Index(strings.Join(names, " "), "item_feeds") {
		t.Errorf("tables out of foreign-key order: %v", names)
	}
	same := func(what string, read func(*Store) (any, error)) {
		a, errA := read(src)
		b, errB := read(dst)
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("%s differ after copy:\n source %+v (%v)\n copy   %+v (%v)", what, a, errA, b, errB)
		}
	}
	if a, err := src.FeedByURL(ctx, "http://a.example/rss"); err != nil || len(a.Prints) != 450 {
		t.Fatalf("source feed keeps %d entry prints (%v), want 450", len(a.Prints), err)
	}
	same("feeds", func(s *Store) (any, error) { return s.Feeds(ctx) })
	same("item keys", func(s *Store) (any, error) {
		keys, err := s.ItemKeys(ctx) // in no particular order
		slices.Sort(keys)
		return keys, err
	})
	same("events", func(s *Store) (any, error) { return s.Events(ctx, events.Query{}) })
	same("folded event", func(s *Store) (any, error) { ev, _, err := s.Event(ctx, "ev-c"); return ev, err })
	same("relations", func(s *Store) (any, error) { _, rels, err := s.Event(ctx, "ev-a"); return rels, err })
	same("instances", func(s *Store) (any, error) { return s.Instances(ctx, t0, t0) })
	if found, _, _ := loadSnapshot(t, dst, "v1"); found || slices.Contains(names, "clusterer_snapshot_parts") {
		t.Errorf("the clusterer snapshot was copied (found %v, tables %v); it is rebuilt instead", found, names)
	}

	f, err := dst.AddFeed(ctx, FeedSpec{URL: "http://c.example/rss", Topic: "world"}, OriginCLI, t0)
	if err != nil || f.ID <= 2 {
		t.Fatalf("new feed after copy: id %d, %v; want an id after the copied ones", f.ID, err)
	}
	if _, err := Copy(ctx, src, dst); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Fatalf("copy into a non-empty database: %v; want a refusal", err)
	}
}
