package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"herald/feeds"
	"herald/store"
	"herald/web"
)

// BenchmarkFeedsPage serves /feeds and /feeds.json from a real store of
// 10,000 feeds, each with two stored items and half of them failing.
func BenchmarkFeedsPage(b *testing.B) {
	ctx := context.Background()
	st := openStore(b, filepath.Join(b.TempDir(), "herald.db"))
	now := time.Now()
	var specs []store.FeedSpec
	for i := range 10000 {
		specs = append(specs, store.FeedSpec{URL: fmt.Sprintf("http://wire%d.example/rss", i), Title: fmt.Sprintf("Wire %d", i), Topic: "world"})
	}
	if err := st.SyncFeeds(ctx, store.OriginConfig, specs, now); err != nil {
		b.Fatal(err)
	}
	all, err := st.Feeds(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for i, f := range all {
		items := []feeds.Item{
			{GUID: "a", URL: fmt.Sprintf("https://wire%d.example/a", i), Title: "A", Published: now, Hash: "a"},
			{GUID: "b", URL: fmt.Sprintf("https://wire%d.example/b", i), Title: "B", Published: now, Hash: "b"},
		}
		f.LastPoll, f.NextPoll, f.LastStatus = now, now.Add(time.Hour), feeds.StatusOK
		if i%2 == 0 {
			f.LastStatus, f.LastError, f.Failures = feeds.StatusError, "fetch: connection refused", 3
		}
		if _, err := st.SavePoll(ctx, f, items, now); err != nil {
			b.Fatal(err)
		}
	}
	h := web.New(st, web.Options{})
	for _, path := range []string{"/feeds", "/feeds.json"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
				b.ReportMetric(float64(rec.Body.Len()), "bytes")
			}
		})
	}
}
