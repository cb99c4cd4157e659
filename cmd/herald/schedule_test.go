package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald/feeds/feedtest"
)

// Ticks that come while a topic's pass runs make one more pass after it,
// however many they are; another topic's pass runs meanwhile.
func TestTicksCoalesce(t *testing.T) {
	var p passes
	var jobs sync.WaitGroup
	release := make(chan struct{})
	var slow, fast atomic.Int64
	p.start("slow", &jobs, func() { slow.Add(1); <-release })
	for range 9 {
		p.start("slow", &jobs, func() { slow.Add(1); <-release })
		p.start("fast", &jobs, func() { fast.Add(1) })
	}
	if !waitUntil(10*time.Second, func() bool { return fast.Load() >= 1 }) {
		t.Fatal("the fast topic's pass waited for the slow one")
	}
	close(release)
	jobs.Wait()
	if n := slow.Load(); n != 2 {
		t.Errorf("the slow topic ran %d passes for 10 ticks, 9 of them during its first pass; want 2", n)
	}
}

// TestSlowTopicStallsNoOther runs `herald run` with a topic of twelve
// feeds on a server that does not answer and a topic of one feed on
// another, both every second. The answering feed is polled again and again
// while the slow host holds at most poll.per_host fetches. (With one pass
// at a time, the slow topic's pass held every other topic's ticks.)
func TestSlowTopicStallsNoOther(t *testing.T) {
	slow := feedtest.NewStalling()
	defer slow.Close()
	var fastHits atomic.Int64
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fastHits.Add(1)
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Fast</title><item><title>Now</title><guid>1</guid></item></channel></rss>`)
	}))
	defer fast.Close()
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, "storage: %s\nhttp: {listen: \"127.0.0.1:0\"}\nlog: {level: error}\npoll: {allow_networks: [127.0.0.0/8], per_host: 2, timeout: 5m}\n",
		filepath.Join(dir, "herald.db"))
	b.WriteString("topics:\n  - name: slow\n    schedule: \"@every 1s\"\n    feeds:\n")
	for i := range 12 {
		fmt.Fprintf(&b, "      - url: %s/s%d\n", slow.URL, i)
	}
	fmt.Fprintf(&b, "  - name: fast\n    schedule: \"@every 1s\"\n    feeds: [{url: %q}]\n", fast.URL+"/f")
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(b.String()), 0o600)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := herald(t, ctx, "--config", cfg, "run"); done <- err }()
	defer func() { slow.Release(); stop(); <-done }()

	if !waitUntil(30*time.Second, func() bool { return slow.Held() == 2 }) {
		t.Fatalf("%d fetches of the slow host running, want 2 (poll.per_host)", slow.Held())
	}
	start := fastHits.Load()
	if !waitUntil(60*time.Second, func() bool { return fastHits.Load() >= start+3 }) {
		t.Errorf("the answering feed was polled %d times while the slow topic's pass hung; want 3 or more", fastHits.Load()-start)
	}
	if p := slow.Peak(); p > 2 {
		t.Errorf("%d fetches of the slow host at once, want at most 2", p)
	}
}
