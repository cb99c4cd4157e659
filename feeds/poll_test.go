package feeds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald/feeds"
	"herald/store"
)

// The poller is tested with real parts: feeds served by httptest on
// loopback and a real SQLite file.

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func subscribe(t testing.TB, st *store.Store, urls ...string) {
	t.Helper()
	var specs []store.FeedSpec
	for _, u := range urls {
		specs = append(specs, store.FeedSpec{URL: u, Topic: "test"})
	}
	if err := st.SyncFeeds(context.Background(), store.OriginConfig, specs, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func newPoller(st *store.Store, workers int) *feeds.Poller {
	return &feeds.Poller{
		Fetcher: &feeds.Fetcher{Timeout: 10 * time.Second, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Store:   st, Workers: workers, PerHost: workers,
		Jitter: func(time.Duration) time.Duration { return 0 },
	}
}

// pollStored polls the stored feed at url once, which must succeed, and
// returns the result and the feed as the store holds it afterwards.
func pollStored(t testing.TB, st *store.Store, p *feeds.Poller, url string) (feeds.Result, feeds.Feed) {
	t.Helper()
	ctx := context.Background()
	f, err := st.FeedByURL(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	r := p.PollOne(ctx, f)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if f, err = st.FeedByURL(ctx, url); err != nil {
		t.Fatal(err)
	}
	return r, f
}

// pollDue polls every feed due at now.
func pollDue(t testing.TB, st *store.Store, p *feeds.Poller, now time.Time) []feeds.Result {
	t.Helper()
	due, err := st.DueFeeds(context.Background(), "", now)
	if err != nil {
		t.Fatal(err)
	}
	return p.PollAll(context.Background(), due, nil)
}

// TestPollCorpusOverLoopback serves every file of the robustness corpus and
// polls it like any feed: each yields items or a stored, readable error, and
// the poller never panics (a panic in a worker would crash this test).
func TestPollCorpusOverLoopback(t *testing.T) {
	files := feeds.CorpusContentTypes(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		ct, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		http.ServeFile(w, r, filepath.Join(feeds.CorpusDir, name))
	}))
	defer srv.Close()
	st := openStore(t)
	var urls []string
	for name := range files {
		urls = append(urls, srv.URL+"/"+name)
	}
	subscribe(t, st, urls...)
	results := pollDue(t, st, newPoller(st, 8), time.Now())
	if len(results) != len(files) {
		t.Fatalf("polled %d feeds, want %d", len(results), len(files))
	}
	var ok, failed, items int
	reasons := map[string]int{}
	for _, r := range results {
		items += r.Saved.New + r.Saved.Linked
		if r.Err == nil {
			ok++
			continue
		}
		failed++
		if r.Feed.LastError == "" {
			t.Errorf("%s failed without a stored error", r.Feed.URL)
		}
		reasons[errorKind(r.Err.Error())]++
	}
	base := gofeedSuccesses(t, files)
	t.Logf("corpus over loopback: %d feeds, %d ok (gofeed alone parses %d), %d failed, %d items stored; failures by kind: %v",
		len(results), ok, base, failed, items, reasons)
	if ok < base {
		t.Errorf("the poller read %d corpus feeds, fewer than gofeed alone on the same bytes (%d)", ok, base)
	}
}

// gofeedSuccesses counts the corpus files gofeed parses by itself: the
// floor the poller must reach.
func gofeedSuccesses(t *testing.T, files map[string]string) int {
	n := 0
	for name := range files {
		b, err := os.ReadFile(filepath.Join(feeds.CorpusDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if feeds.GofeedParses(b) {
			n++
		}
	}
	return n
}

func errorKind(msg string) string {
	for _, k := range []string{"not a feed", "empty body", "XML syntax", "EOF", "invalid"} {
		if strings.Contains(msg, k) {
			return k
		}
	}
	return "other"
}

// feedServer serves n synthetic feeds at /feed/{i} with validators, and
// counts requests and 304 answers.
type feedServer struct {
	*httptest.Server
	items       int
	version     atomic.Int64 // bump to change every feed
	requests    atomic.Int64
	notModified atomic.Int64
}

func newFeedServer(t testing.TB, items int) *feedServer {
	fs := &feedServer{items: items}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.requests.Add(1)
	v := fs.version.Load()
	etag := fmt.Sprintf(`"%s-%d"`, r.URL.Path, v)
	if r.Header.Get("If-None-Match") == etag {
		fs.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Write(synthFeed(r.URL.Path, int(v), fs.items))
}

func (fs *feedServer) urls(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s/feed/%d", fs.URL, i)
	}
	return out
}

// synthFeed writes an RSS feed of n items, about 1.8 KB each (60 items make
// the 110 KB of an average news feed); version v shifts the items so that a
// changed feed brings new ones.
func synthFeed(path string, v, n int) []byte {
	var b strings.Builder
	b.Grow(n * 1900)
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %s</title><link>http://example.com%s</link>`, path, path)
	body := strings.Repeat("Officials said the talks would continue next week as negotiators met again in the capital. ", 16)
	for i := range n {
		id := v*n + i
		fmt.Fprintf(&b, `<item><title>Story %d of %s</title><link>http://example.com%s/story/%d</link><guid>%s-%d</guid>`+
			`<pubDate>Mon, 02 Nov 2026 10:%02d:00 GMT</pubDate><description><![CDATA[<p>%s</p>]]></description></item>`,
			id, path, path, id, path, id, i%60, body)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

func TestSecondPollOfUnchangedFeedsGets304(t *testing.T) {
	srv := newFeedServer(t, 5)
	st := openStore(t)
	subscribe(t, st, srv.urls(20)...)
	p := newPoller(st, 4)
	now := time.Now()
	first := pollDue(t, st, p, now)
	second := pollDue(t, st, p, now.Add(time.Hour))
	if len(first) != 20 || len(second) != 20 {
		t.Fatalf("polled %d then %d feeds, want 20 twice", len(first), len(second))
	}
	if got := srv.notModified.Load(); got != 20 {
		t.Fatalf("server answered %d times 304, want 20 (validators not sent back?)", got)
	}
	for _, r := range second {
		if r.Status != feeds.StatusNotModified || r.Saved.New != 0 {
			t.Fatalf("second poll of %s: status %s, %d new", r.Feed.URL, r.Status, r.Saved.New)
		}
	}
	if n, _ := st.CountItems(context.Background()); n != 100 {
		t.Fatalf("stored %d items, want 100", n)
	}
}

// A failing feed keeps its error, backs off, recovers by itself, and never
// stops the others.
func TestFailingFeedBacksOffAndRecovers(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	good := newFeedServer(t, 3)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write(synthFeed("/bad", 0, 2))
	}))
	defer bad.Close()
	st := openStore(t)
	subscribe(t, st, good.URL+"/feed/0", bad.URL+"/feed")
	p := newPoller(st, 2)
	now := time.Now()
	results := pollDue(t, st, p, now)
	var failed feeds.Feed
	for _, r := range results {
		if r.Err != nil {
			failed = r.Feed
		} else if r.Saved.New != 3 {
			t.Fatalf("good feed stored %d items next to a failing one, want 3", r.Saved.New)
		}
	}
	if failed.Failures != 1 || !strings.Contains(failed.LastError, "500") || !failed.NextPoll.After(now) {
		t.Fatalf("failed feed state = failures %d, error %q, next %v", failed.Failures, failed.LastError, failed.NextPoll)
	}
	broken.Store(false)
	recovered := false
	for _, r := range pollDue(t, st, p, failed.NextPoll) {
		if r.Feed.ID == failed.ID {
			recovered = r.Err == nil && r.Feed.Failures == 0 && r.Saved.New == 2
		}
	}
	if !recovered {
		t.Fatal("the failed feed was not polled again at its next poll time, or did not recover")
	}
}

func TestGoneDisablesAndMovedUpdatesURL(t *testing.T) {
	items := newFeedServer(t, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/old":
			http.Redirect(w, r, items.URL+"/feed/7", http.StatusMovedPermanently)
		}
	}))
	defer srv.Close()
	st := openStore(t)
	subscribe(t, st, srv.URL+"/gone", srv.URL+"/old")
	pollDue(t, st, newPoller(st, 2), time.Now())
	list, err := st.Feeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]feeds.Feed{}
	for _, f := range list {
		urls[f.URL] = f
	}
	if g := urls[srv.URL+"/gone"]; !g.Disabled || g.LastStatus != feeds.StatusGone {
		t.Errorf("410 feed: disabled %v, status %q", g.Disabled, g.LastStatus)
	}
	if m, ok := urls[items.URL+"/feed/7"]; !ok || m.ItemCount != 1 {
		t.Errorf("301 feed not moved to its new URL: %v", list)
	}
	if due, _ := st.DueFeeds(context.Background(), "", time.Now().Add(30*24*time.Hour)); len(due) != 1 {
		t.Errorf("after a month %d feeds are due, want only the moved one", len(due))
	}
}

// BenchmarkPoll measures a full refresh of N loopback feeds of 60 items
// (about 110 KB each), changed (new items: fetch, parse, store) and
// unchanged (conditional GET answered 304).
func BenchmarkPoll(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		for _, changed := range []bool{true, false} {
			name := fmt.Sprintf("feeds=%d/changed=%v", n, changed)
			b.Run(name, func(b *testing.B) { benchPoll(b, n, changed) })
		}
	}
}

func benchPoll(b *testing.B, n int, changed bool) {
	srv := newFeedServer(b, 60)
	st := openStore(b)
	subscribe(b, st, srv.urls(n)...)
	p := newPoller(st, 16)
	now := time.Now()
	if !changed {
		pollDue(b, st, p, now) // warm: validators stored
	}
	peak := watchHeap(heapInUse)
	b.ReportAllocs()
	b.ResetTimer()
	var items int
	for i := range b.N {
		if changed {
			srv.version.Add(1)
		}
		for _, r := range pollDue(b, st, p, now.Add(time.Duration(i+1)*24*time.Hour)) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
			items += r.Saved.New
		}
	}
	b.StopTimer()
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/secs, "feeds/s")
	b.ReportMetric(float64(items)/secs, "items/s")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
}

// watchHeap calls measure every 20 ms until the returned function is
// called, which reports the largest value seen.
func watchHeap(measure func() uint64) func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			peak.Store(max(peak.Load(), measure()))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// heapInUse is the heap in use, garbage included (server and poller
// together in the benchmark).
func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
