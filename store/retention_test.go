package store

import (
	"context"
	"testing"
	"time"

	"herald/digest"
	"herald/events"
	"herald/feeds"
)

// Prune deletes old events with their items and old unplaced items, keeps
// what is recent and what digests recorded, and leaves no dangling link.
func TestPrune(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	defer func(n int) { pruneBatch = n }(pruneBatch)
	pruneBatch = 1 // every loop runs more than one batch
	f := addFeedA(t, s)
	old, recent := t0.Add(-40*24*time.Hour), t0.Add(-time.Hour)
	save := func(guid string, at time.Time) {
		it := item(guid, "http://a.example/"+guid, "Story "+guid)
		it.Published = at
		if _, err := s.SavePoll(ctx, f, []feeds.Item{it}, at); err != nil {
			t.Fatal(err)
		}
	}
	save("old1", old)
	save("old2", old)
	save("new1", recent)
	docs, _ := s.UnclusteredDocs(ctx, 10)
	evOld := events.Event{ID: "ev-old", Headline: "Old", FirstSeen: old, LastUpdated: old, Size: 2, Storyline: "sl-old"}
	evNew := events.Event{ID: "ev-new", Headline: "New", FirstSeen: recent, LastUpdated: recent, Size: 1, Storyline: "sl-new"}
	stories := []events.Storyline{{ID: "sl-old", FirstSeen: old, LastUpdated: old}, {ID: "sl-new", FirstSeen: recent, LastUpdated: recent},
		{ID: "sl-gone", FirstSeen: old, LastUpdated: old}}
	err := s.SaveClustering(ctx, events.Clustering{Assignments: []events.Assignment{{DocID: docs[0].ID, EventID: "ev-old"}, {DocID: docs[1].ID, EventID: "ev-old"},
		{DocID: docs[2].ID, EventID: "ev-new", StorylineID: "sl-new", MergedStorylines: []string{"sl-gone"}}},
		Events: []events.Event{evOld, evNew}, Storylines: stories, Related: map[string][]events.Relation{"ev-new": {{EventID: "ev-old", Shared: []string{"Korea"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	save("stray", old) // stored long ago, never placed
	if _, _, err := s.SaveDigest(ctx, pendingDigest("a@x.org", old), []digest.Covered{{EventID: "ev-old", Sources: 2, Size: 2}}); err != nil {
		t.Fatal(err)
	}

	got, err := s.Prune(ctx, t0.Add(-30*24*time.Hour))
	if err != nil || got.Events != 1 || got.Items != 3 {
		t.Fatalf("prune = %+v, %v; want 1 event and 3 items (2 placed, 1 stray)", got, err)
	}
	if n, _ := s.CountItems(ctx); n != 1 {
		t.Errorf("%d items left, want the recent one", n)
	}
	if _, rels, err := s.Event(ctx, "ev-new"); err != nil || len(rels) != 0 {
		t.Errorf("recent event: relations %+v, %v; want the link to the pruned event gone", rels, err)
	}
	var storylines, aliases int
	s.db.QueryRow(`SELECT COUNT(*) FROM storylines`).Scan(&storylines)
	s.db.QueryRow(`SELECT COUNT(*) FROM storyline_aliases`).Scan(&aliases)
	if storylines != 1 || aliases != 1 {
		t.Errorf("%d storylines and %d aliases left, want the recent event's storyline and the alias into it", storylines, aliases)
	}
	var memberships int
	s.db.QueryRow(`SELECT COUNT(*) FROM item_feeds`).Scan(&memberships)
	if memberships != 1 {
		t.Errorf("%d feed memberships left, want 1", memberships)
	}
	if ds, _ := s.Digests(ctx, DigestFilter{}); len(ds) != 1 {
		t.Errorf("digests after prune: %d, want the one kept for audit", len(ds))
	}
	if again, err := s.Prune(ctx, t0.Add(-30*24*time.Hour)); err != nil || again != (Pruned{}) {
		t.Errorf("second prune = %+v, %v; want nothing", again, err)
	}
}

// An item pruned while its feed still lists it does not come back as new:
// an undated item carries the time it was fetched, so the retention cut on
// dates cannot keep it out. Its key is remembered while the feed lists it
// (a 304 or a failure changes nothing) and forgotten once a document the
// feed serves leaves it out.
func TestPrunedItemsStayPruned(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	day := 24 * time.Hour
	poll := func(at time.Time, status string, guids ...string) feeds.Saved {
		t.Helper()
		f.LastPoll, f.LastStatus = at, status
		var items []feeds.Item
		for _, g := range guids {
			it := item(g, "http://a.example/"+g, "Story "+g)
			it.Published = at // undated: stamped with the fetch time
			items = append(items, it)
		}
		saved, err := s.SavePoll(ctx, f, items, at)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	poll(t0, feeds.StatusOK, "evergreen", "gone")
	placeAll(t, s)
	poll(t0.Add(35*day), feeds.StatusNotModified)
	if p, err := s.Prune(ctx, t0.Add(5*day)); err != nil || p.Items != 2 {
		t.Fatalf("prune = %+v, %v; want both items", p, err)
	}
	if saved := poll(t0.Add(36*day), feeds.StatusOK, "evergreen", "gone", "fresh"); saved.New != 1 || saved.Skipped != 2 {
		t.Fatalf("poll after the prune: %+v; want the pruned items skipped and the fresh one new", saved)
	}
	poll(t0.Add(37*day), feeds.StatusNotModified)
	poll(t0.Add(38*day), feeds.StatusError)
	if saved := poll(t0.Add(39*day), feeds.StatusOK, "evergreen", "gone", "fresh"); saved.New != 0 {
		t.Fatalf("poll after a 304 and a failure: %+v; want nothing new", saved)
	}
	poll(t0.Add(40*day), feeds.StatusOK, "evergreen", "fresh") // "gone" leaves the feed
	if saved := poll(t0.Add(41*day), feeds.StatusOK, "evergreen", "gone", "fresh"); saved.New != 1 {
		t.Errorf("poll after the feed dropped an item and listed it again: %+v; want it new, the other still skipped", saved)
	}
	if n, _ := s.CountItems(ctx); n != 2 {
		t.Errorf("%d items stored, want fresh and the returning one", n)
	}
}
