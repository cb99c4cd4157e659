package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestFloodFeedTopics: with more feeds than fillTopics looks up by id, a
// feed read alone, in a leased batch, or in the full list carries the same
// topics (the lookup by id and the full read agree).
func TestFloodFeedTopics(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	var specs []FeedSpec
	want := map[string][]string{}
	for i := range fewFeeds + 100 {
		u := fmt.Sprintf("http://wire%d.example/rss", i)
		topics := []string{"world"}
		if i%3 == 0 {
			topics = append(topics, "korea")
		}
		for _, tp := range topics {
			specs = append(specs, FeedSpec{URL: u, Topic: tp})
		}
		slices.Sort(topics)
		want[u] = topics
	}
	if err := s.SyncFeeds(ctx, OriginConfig, specs, now); err != nil {
		t.Fatal(err)
	}
	all, err := s.Feeds(ctx)
	if err != nil || len(all) != len(want) {
		t.Fatalf("%d feeds (%v), want %d", len(all), err, len(want))
	}
	batch, err := s.LeaseDueFeeds(ctx, LeaseQuery{Owner: "a", Pass: now, Now: now, Lease: time.Minute, Limit: 50})
	if err != nil || len(batch) != 50 {
		t.Fatalf("leased %d feeds (%v), want 50", len(batch), err)
	}
	one, err := s.Feed(ctx, all[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append(append(all, batch...), one) {
		if !slices.Equal(f.Topics, want[f.URL]) {
			t.Fatalf("feed %s has topics %v, want %v", f.URL, f.Topics, want[f.URL])
		}
	}
}
