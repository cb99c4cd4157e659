package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"herald/feeds"
)

// The store keeps the prints of the entries it holds from a feed's last
// document read, and a 304 leaves them. An entry the poller did not read
// again (Unchanged) is skipped, never stored without its body: when the
// store does not hold it (its membership went behind the store's back),
// its print is dropped, so that the feed's next document reads it in full.
func TestEntryPrints(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	f.LastStatus = feeds.StatusOK
	a, b := item("1", "http://a.example/1", "One"), item("2", "http://a.example/2", "Two")
	a.Text, b.Text = "one text", "two text"
	a.Print, b.Print = 0xa1, 0xb2
	if _, err := s.SavePoll(ctx, f, []feeds.Item{b, a}, t0); err != nil {
		t.Fatal(err)
	}
	prints := func(when string, want ...uint64) {
		t.Helper()
		got, err := s.Feed(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Prints, want) {
			t.Fatalf("%s: prints %x, want %x", when, got.Prints, want)
		}
	}
	prints("after a document", 0xa1, 0xb2)

	notModified := f
	notModified.LastStatus = feeds.StatusNotModified
	if _, err := s.SavePoll(ctx, notModified, nil, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	prints("after a 304", 0xa1, 0xb2)

	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM item_feeds WHERE guid = ?`), "2"); err != nil {
		t.Fatal(err)
	}
	unchanged := func(it feeds.Item) feeds.Item {
		return feeds.Item{GUID: it.GUID, URL: it.URL, Title: it.Title, Published: it.Published, Print: it.Print, Unchanged: true}
	}
	saved, err := s.SavePoll(ctx, f, []feeds.Item{unchanged(a), unchanged(b)}, t0.Add(2*time.Hour))
	if err != nil || saved != (feeds.Saved{Skipped: 2}) {
		t.Fatalf("unchanged entries: %+v, %v; want both skipped", saved, err)
	}
	prints("after an unchanged entry the store lacks", 0xa1)
	var text string
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT b.text FROM item_bodies b JOIN items i ON i.id = b.item_id
		WHERE i.url = ?`), a.URL).Scan(&text); err != nil || text != a.Text {
		t.Fatalf("text of the unchanged item: %q, %v; want it kept", text, err)
	}

	saved, err = s.SavePoll(ctx, f, []feeds.Item{unchanged(a), b}, t0.Add(3*time.Hour))
	if err != nil || saved.Linked+saved.New != 1 || saved.Skipped != 1 {
		t.Fatalf("the lacking entry read in full: %+v, %v; want it stored again", saved, err)
	}
	prints("after it is read in full", 0xa1, 0xb2)
}
