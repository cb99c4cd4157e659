package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"herald/feeds"
)

// BenchmarkSavePoll stores polls of 60 new items of news-feed size, the
// store's share of a first refresh.
func BenchmarkSavePoll(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	f := addFeedA(b, s)
	body := strings.Repeat("Officials said the talks would continue next week. ", 30)
	b.ReportAllocs()
	b.ResetTimer()
	trips := s.RoundTrips()
	for i := range b.N {
		items := make([]feeds.Item, 60)
		for j := range items {
			id := fmt.Sprintf("%d-%d", i, j)
			items[j] = feeds.Item{GUID: id, URL: "http://a.example/" + id, Title: "Story " + id,
				Summary: "<p>" + body + "</p>", Text: body, Hash: id, Published: t0}
		}
		if _, err := s.SavePoll(ctx, f, items, t0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(60*b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(s.RoundTrips()-trips)/float64(b.N), "trips/poll")
}
