package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"herald/events"
)

func TestLargestEvents(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	ev := func(id, topic string, size int, first time.Time) events.Event {
		return events.Event{ID: id, Headline: id, FirstSeen: first, LastUpdated: first.Add(time.Duration(size) * time.Minute),
			Size: size, Topics: []string{topic}}
	}
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	evs := []events.Event{
		ev("ev-small", "world", 1, day.Add(9*time.Hour)), ev("ev-big", "world", 5, day.Add(10*time.Hour)),
		ev("ev-mid", "tech", 3, day.Add(11*time.Hour)), ev("ev-tie", "world", 3, day.Add(8*time.Hour)),
		ev("ev-yesterday", "world", 9, day.Add(-time.Hour)),
	}
	if err := s.SaveClustering(ctx, Clustering{Events: evs}); err != nil {
		t.Fatal(err)
	}
	ids := func(evs []events.Event, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.ID)
		}
		return out
	}
	today := EventQuery{FirstSeenAfter: day, FirstSeenBefore: day.AddDate(0, 0, 1)}
	// ev-mid and ev-tie both have 3 reports: the later update goes first.
	if got, want := ids(s.LargestEvents(ctx, today)), []string{"ev-big", "ev-mid", "ev-tie", "ev-small"}; !slices.Equal(got, want) {
		t.Errorf("today: %v, want %v", got, want)
	}
	today.Topics, today.Limit = []string{"world"}, 2
	if got, want := ids(s.LargestEvents(ctx, today)), []string{"ev-big", "ev-tie"}; !slices.Equal(got, want) {
		t.Errorf("today in world, 2: %v, want %v", got, want)
	}
}
