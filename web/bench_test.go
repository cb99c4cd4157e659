package web

import (
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"herald/events"
)

// BenchmarkWeb measures requests per second over loopback against a real
// SQLite store holding 10,000 events (25,000 sources) spread over 30 days
// in two topics. The store is filled once; each sub-benchmark is one URL
// kind. Run: go test ./web/ -run XXX -bench BenchmarkWeb
func BenchmarkWeb(b *testing.B) {
	st := openStore(b)
	const n = 10000
	evs := make([]events.Event, n)
	for i := range evs {
		topic := testTopics[i%2].Name
		first := now.Add(-time.Duration(i) * 30 * 24 * time.Hour / n)
		evs[i] = event(fmt.Sprintf("ev-%05d", i), topic, fmt.Sprintf("Event number %d in %s", i, topic), first, 1+i%4)
	}
	seed(b, st, evs, nil)
	srv := serve(b, st, Options{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

	bench := func(name string, url func(i int) string, header ...string) {
		b.Run(name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				req, _ := http.NewRequest("GET", srv.URL+url(i), nil)
				for j := 0; j+1 < len(header); j += 2 {
					req.Header.Set(header[j], header[j+1])
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != 304 {
					b.Fatalf("GET %s: %d", url(i), resp.StatusCode)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
	bench("EventPage", func(i int) string { return eventPath(evs[(i*7919)%n].ID, "html") })
	bench("EventJSON", func(i int) string { return eventPath(evs[(i*7919)%n].ID, "json") })
	bench("TopicFeed", func(int) string { return "/topics/world.rss" })
	resp, err := client.Get(srv.URL + "/topics/world.rss")
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	bench("TopicFeed304", func(int) string { return "/topics/world.rss" }, "If-None-Match", resp.Header.Get("ETag"))
	bench("BriefingPage", func(i int) string { return briefingPath("", now.AddDate(0, 0, -(i%30)), "html") })
	bench("FrontPage", func(int) string { return "/" })
	// Eight clients at once: the store's single SQLite connection is
	// shared, rendering runs on both cores.
	b.Run("EventPageParallel", func(b *testing.B) {
		var next atomic.Int64
		b.SetParallelism(4) // 4 × GOMAXPROCS clients
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(next.Add(1))
				resp, err := client.Get(srv.URL + eventPath(evs[(i*7919)%n].ID, "html"))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}
