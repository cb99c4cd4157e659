package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
)

// TestEventWeights reads a day's events with what ranking needs only:
// each event's storyline, reports and times, and its sources' publishers
// and copy flags.
func TestEventWeights(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	day := t0.Truncate(24 * time.Hour)
	a, b, c := item("1", "http://a.example/1", "One"), item("2", "http://a.example/2", "One again"), item("3", "http://a.example/3", "Yesterday")
	a.Source, b.Source, c.Source = "Wire", "", "Wire" // b without a publisher: counted by its link
	a.Published, b.Published, c.Published = day.Add(time.Hour), day.Add(2*time.Hour), day.Add(-time.Hour)
	if _, err := s.SavePoll(ctx, f, []feeds.Item{a, b, c}, t0); err != nil {
		t.Fatal(err)
	}
	docs, _ := s.UnclusteredDocs(ctx, 10)
	evs := []events.Event{
		{ID: "ev-today", Headline: "One", FirstSeen: a.Published, LastUpdated: b.Published, Size: 2, Storyline: "sl-x", Topics: []string{"world"}},
		{ID: "ev-before", Headline: "Yesterday", FirstSeen: c.Published, LastUpdated: c.Published, Size: 1, Topics: []string{"world"}},
	}
	as := []events.Assignment{{DocID: docs[0].ID, EventID: "ev-before"}, {DocID: docs[1].ID, EventID: "ev-today"},
		{DocID: docs[2].ID, EventID: "ev-today", DuplicateOf: docs[1].ID}}
	if err := s.SaveClustering(ctx, events.Clustering{Assignments: as, Events: evs}); err != nil {
		t.Fatal(err)
	}
	got, err := s.EventWeights(ctx, events.Query{FirstSeenAfter: day, FirstSeenBefore: day.AddDate(0, 0, 1), Topics: []string{"world"}})
	if err != nil || len(got) != 1 {
		t.Fatalf("today's weights: %+v, %v", got, err)
	}
	ev := got[0]
	slices.SortFunc(ev.Sources, func(x, y events.Source) int { return strings.Compare(y.Publisher, x.Publisher) })
	if ev.ID != "ev-today" || ev.Storyline != "sl-x" || ev.Size != 2 || !ev.LastUpdated.Equal(b.Published) || ev.Headline != "" ||
		len(ev.Sources) != 2 || ev.Sources[0].Publisher != "Wire" || ev.Sources[0].Duplicate || !ev.Sources[1].Duplicate ||
		ev.Sources[1].URL != "http://a.example/2" {
		t.Errorf("weights of ev-today: %+v", ev)
	}
}
