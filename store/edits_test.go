package store

import (
	"context"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
)

// An item edited at its source (same guid, new title) changes its event
// for readers: the headline follows when the item gave it, and the
// event's updated time moves, so feed readers show the change. A later
// save by the deduplicator, which still holds the old title, keeps both.
func TestEditsReachTheEvent(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	g, _ := s.AddFeed(ctx, FeedSpec{URL: "http://b.example/rss", Topic: "world"}, OriginCLI, t0)
	lead, other := item("1", "http://a.example/1", "Quake hits coast"), item("2", "http://b.example/2", "Coast shaken")
	if _, err := s.SavePoll(ctx, f, []feeds.Item{lead}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SavePoll(ctx, g, []feeds.Item{other}, t0); err != nil {
		t.Fatal(err)
	}
	docs, _ := s.UnclusteredDocs(ctx, 10)
	stale := events.Event{ID: "ev-q", Headline: "Quake hits coast", HeadlineDoc: docs[0].ID, FirstSeen: t0, LastUpdated: t0, Size: 2,
		Sources: []events.Source{{DocID: docs[0].ID, Title: "Quake hits coast"}, {DocID: docs[1].ID, Title: "Coast shaken"}}}
	as := []events.Assignment{{DocID: docs[0].ID, EventID: "ev-q"}, {DocID: docs[1].ID, EventID: "ev-q"}}
	if err := s.SaveClustering(ctx, events.Clustering{Assignments: as, Events: []events.Event{stale}}); err != nil {
		t.Fatal(err)
	}

	edited := t0.Add(2 * time.Hour)
	lead.Title, lead.Hash = "Quake of magnitude 7 hits coast", "h-edited"
	if saved, err := s.SavePoll(ctx, f, []feeds.Item{lead}, edited); err != nil || saved.Edited != 1 {
		t.Fatalf("edit: %+v, %v", saved, err)
	}
	ev, _, err := s.Event(ctx, "ev-q")
	if err != nil || ev.Headline != lead.Title || !ev.LastUpdated.Equal(edited) {
		t.Fatalf("event after the edit: headline %q updated %v (%v); want %q at %v", ev.Headline, ev.LastUpdated, err, lead.Title, edited)
	}

	other.Title, other.Hash = "Coast shaken by quake", "h-edited-2" // not the headline: the time moves alone
	later := edited.Add(time.Hour)
	s.SavePoll(ctx, g, []feeds.Item{other}, later)
	if ev, _, _ := s.Event(ctx, "ev-q"); ev.Headline != lead.Title || !ev.LastUpdated.Equal(later) {
		t.Errorf("after a source's edit: headline %q updated %v; want %q at %v", ev.Headline, ev.LastUpdated, lead.Title, later)
	}

	// The deduplicator saves the event again with what it holds in memory.
	stale.Size = 2
	if err := s.SaveClustering(ctx, events.Clustering{Events: []events.Event{stale}}); err != nil {
		t.Fatal(err)
	}
	if ev, _, _ := s.Event(ctx, "ev-q"); ev.Headline != lead.Title || !ev.LastUpdated.Equal(later) {
		t.Errorf("after the deduplicator's save: headline %q updated %v; want %q at %v", ev.Headline, ev.LastUpdated, lead.Title, later)
	}
}
