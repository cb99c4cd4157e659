package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald/feeds"
	"herald/store"
	"herald/store/pgtest"
)

// BenchmarkScaleOutRefresh measures a full refresh of 5,000 changed
// loopback feeds (60 items, about 110 KB each) by 1 instance on SQLite and
// by 1, 2 and 3 instances sharing one PostgreSQL database. Each instance
// is what `herald run` polls with: its own store (connection pool), its own
// poller (16 workers) and its own coordinator leasing batches of 32 due
// feeds. The instances run in this process, so they share its two cores
// as processes on one machine would; clustering is left out (it runs on
// the leader only, beside the polls).
//
//	scripts/pg-test-env go test ./cmd/herald/ -run XXX -bench ScaleOutRefresh -benchtime 1x
func BenchmarkScaleOutRefresh(b *testing.B) {
	const n = 5000
	b.Run("sqlite/instances=1", func(b *testing.B) {
		benchRefresh(b, "sqlite:"+filepath.Join(b.TempDir(), "herald.db"), n, 1)
	})
	for _, k := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("postgres/instances=%d", k), func(b *testing.B) {
			if !pgtest.Enabled() {
				b.Skip(pgtest.SkipMessage)
			}
			benchRefresh(b, pgtest.Schema(b), n, k)
		})
	}
}

func benchRefresh(b *testing.B, dsn string, n, instances int) {
	ctx := context.Background()
	farm := &benchFarm{}
	srv := httptest.NewServer(farm)
	b.Cleanup(srv.Close)
	var specs []store.FeedSpec
	for i := range n {
		specs = append(specs, store.FeedSpec{URL: fmt.Sprintf("%s/feed/%d", srv.URL, i), Topic: "bench"})
	}
	var coords []*store.Coordinator
	var pollers []*feeds.Poller
	for range instances {
		st, err := store.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		if err := st.SyncFeeds(ctx, store.OriginConfig, specs, time.Now()); err != nil {
			b.Fatal(err)
		}
		log := slog.New(slog.DiscardHandler)
		coords = append(coords, store.NewCoordinator(st, log, time.Minute, time.Now()))
		pollers = append(pollers, &feeds.Poller{Fetcher: &feeds.Fetcher{Timeout: 30 * time.Second, MaxBytes: 16 << 20, Allow: loopbackOnly},
			Store: st, Workers: 16, PerHost: 16})
	}
	b.ResetTimer()
	var polled, items atomic.Int64
	for range b.N {
		farm.version.Add(1) // every feed has 60 new items
		var wg sync.WaitGroup
		for i := range instances {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results, err := coords[i].PollLeased(ctx, pollers[i], "", 32, 0, nil)
				if err != nil {
					b.Error(err)
				}
				for _, r := range results {
					if r.Err != nil {
						b.Error(r.Err)
					}
					items.Add(int64(r.Saved.New))
				}
				polled.Add(int64(len(results)))
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	if got := polled.Load(); got != int64(n*b.N) {
		b.Fatalf("polled %d feeds, want %d", got, n*b.N)
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/secs, "feeds/s")
	b.ReportMetric(float64(items.Load())/secs, "items/s")
}

// benchFarm serves synthetic news feeds: 60 items of about 1.8 KB; a new
// version brings 60 new items.
type benchFarm struct{ version atomic.Int64 }

func (f *benchFarm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v := int(f.version.Load())
	var b strings.Builder
	b.Grow(60 * 1900)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Wire %s</title><link>http://wire.example%s</link>`,
		r.URL.Path, r.URL.Path)
	body := strings.Repeat("Negotiators met again in the capital on Tuesday and officials said talks would go on. ", 17)
	for i := range 60 {
		id := v*60 + i
		fmt.Fprintf(&b, `<item><title>Report %d from %s</title><link>http://wire.example%s/r/%d</link><guid>%s-%d</guid>`+
			`<pubDate>Tue, 24 Nov 2026 08:%02d:00 GMT</pubDate><description><![CDATA[<p>%s</p>]]></description></item>`,
			id, r.URL.Path, r.URL.Path, id, r.URL.Path, id, i, body)
	}
	b.WriteString(`</channel></rss>`)
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Write([]byte(b.String()))
}
