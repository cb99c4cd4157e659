package store

import (
	"context"
	"fmt"
	"testing"

	"herald/feeds"
)

// TestSavePollRoundTrips counts what a poll costs in round trips to
// PostgreSQL: each is a wait on a server that shares the machine, and they
// were most of a poll's time there. A poll with new items reads what the
// feed already has and writes the rest; an unchanged one and a 304 only
// read and write the feed's state.
func TestSavePollRoundTrips(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if s.Dialect() != "postgres" {
		t.Skip("SQLite runs statements in the process: no round trips to count")
	}
	f := addFeedA(t, s)
	g, err := s.AddFeed(ctx, FeedSpec{URL: "http://b.example/rss", Topic: "world"}, OriginCLI, t0)
	if err != nil {
		t.Fatal(err)
	}
	poll := func(f feeds.Feed, prefix string, n int) []feeds.Item {
		items := make([]feeds.Item, n)
		for i := range items {
			id := fmt.Sprintf("%s-%d", prefix, i)
			items[i] = feeds.Item{GUID: id, URL: "http://a.example/" + id, Title: "Story " + id,
				Summary: "<p>Talks went on.</p>", Text: "Talks went on.", Hash: id, Published: t0}
		}
		return items
	}
	trips := func(f feeds.Feed, items []feeds.Item) int64 {
		before := s.RoundTrips()
		if _, err := s.SavePoll(ctx, f, items, t0); err != nil {
			t.Fatal(err)
		}
		return s.RoundTrips() - before
	}
	trips(g, poll(g, "warm", 60)) // statements prepared on the connection
	news := poll(f, "new", 60)
	for _, c := range []struct {
		name  string
		items []feeds.Item
		most  int64
	}{
		{"60 new items", news, 2},
		{"the same 60 again", news, 2},
		{"a 304 (no items)", nil, 1},
	} {
		n := trips(f, c.items)
		t.Logf("%s: %d round trips", c.name, n)
		if n > c.most {
			t.Errorf("%s: %d round trips, want at most %d", c.name, n, c.most)
		}
	}
}

// TestSavePollMixedItems saves a document that holds every kind of entry
// at once, as both backends must count and keep it: a URL listed twice,
// entries without a URL, an entry repeated whole, and a story another feed
// stored first.
func TestSavePollMixedItems(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	g, err := s.AddFeed(ctx, FeedSpec{URL: "http://b.example/rss", Topic: "world"}, OriginCLI, t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePoll(ctx, g, []feeds.Item{item("g-1", "http://news.example/wire", "Wire")}, t0); err != nil {
		t.Fatal(err)
	}
	items := []feeds.Item{
		item("1", "http://a.example/1", "One"),
		item("1b", "http://a.example/1", "One again"), // the same story under another guid
		item("2", "", "Two"),
		item("3", "", "Three"),
		item("2", "", "Two"), // repeated whole
		item("4", "http://news.example/wire", "Wire"),
	}
	f.LastStatus = feeds.StatusOK
	res, err := s.SavePoll(ctx, f, items, t0)
	if want := (feeds.Saved{New: 3, Linked: 2, Skipped: 1}); err != nil || res != want {
		t.Fatalf("first save: %+v, %v; want %+v", res, err, want)
	}
	res, err = s.SavePoll(ctx, f, items, t0)
	if want := (feeds.Saved{Skipped: 6}); err != nil || res != want {
		t.Fatalf("second save: %+v, %v; want %+v", res, err, want)
	}
	keys, _ := s.ItemKeys(ctx)
	if n, _ := s.CountItems(ctx); n != 4 || len(keys) != 6 {
		t.Fatalf("items = %d, memberships = %d; want 4 and 6 (5 of feed a, 1 of feed b)", n, len(keys))
	}
}
