package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"herald/store"
	"herald/web"
)

// TestFullDiskHeals runs the daemon's poll passes and clustering rounds on
// a SQLite store whose file is capped (SQLite answers "database or disk is
// full" as on a full disk). A poll the store cannot keep puts its feed in
// backoff with the error counted; /readyz says the store cannot write;
// while clustering cannot store its decisions no feed is polled; once it
// can, clustering catches up first, then polls resume.
func TestFullDiskHeals(t *testing.T) {
	var hits atomic.Int64
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var b strings.Builder
		for i := range 200 {
			fmt.Fprintf(&b, `<item><title>Story %d about %s</title><link>https://wire.example/%s/%d</link><description>%s</description></item>`,
				i, r.URL.Path, r.URL.Path, i, strings.Repeat("A long report on the matter. ", 20))
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>%s</channel></rss>`, b.String())
	}))
	defer feed.Close()
	dir := t.TempDir()
	raw := fmt.Sprintf("storage: %s\npoll: {allow_networks: [127.0.0.0/8]}\ntopics:\n  - name: world\n    feeds: [{url: %q}, {url: %q}]\n",
		filepath.Join(dir, "herald.db"), feed.URL+"/a", feed.URL+"/b")
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(raw), 0o600)
	cfg, err := LoadConfig(cfgPath, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := openStore(t, cfg.Storage)
	if err := syncConfig(ctx, cfg, st); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := &daemon{log: log, store: st, placer: newPlacer(st, log, 72*time.Hour),
		coord: store.NewCoordinator(st, log, time.Minute, time.Now())}
	d.live.Store(&live{cfg: cfg, poller: newPoller(cfg, st, log)})
	m := newMetrics(st, time.Hour, 0, log)
	ready := httptest.NewServer(web.New(st, web.Options{Metrics: m}))
	defer ready.Close()
	readyz := func() (int, string) {
		body, code := getPage(t, ready.URL+"/readyz")
		return code, body
	}
	// The gauges of this instance's writes follow /readyz.
	gauges := func(when, writable string, failures int) {
		t.Helper()
		body, _ := getPage(t, ready.URL+"/metrics")
		for _, line := range []string{`herald_store_writable{backend="sqlite"} ` + writable,
			fmt.Sprintf(`herald_store_write_failures{backend="sqlite"} %d`, failures)} {
			if !strings.Contains(body, "\n"+line+"\n") {
				t.Errorf("%s: /metrics lacks %q", when, line)
			}
		}
	}
	full := func() {
		pages, _ := st.PageCount(ctx)
		st.LimitPages(ctx, pages)
	}

	// 1. The disk is full: the poll keeps nothing, the feeds back off.
	full()
	start := time.Now()
	if err := d.pass(ctx, ""); err != nil {
		t.Fatal(err)
	}
	fs, _ := st.Feeds(ctx)
	for _, f := range fs {
		if f.Failures != 1 || !strings.Contains(f.LastError, "disk is full") || f.NextPoll.Before(start.Add(4*time.Minute)) {
			t.Errorf("feed %s after a poll the store could not keep: %d failures, next poll %v, error %q; want backoff with the error",
				f.URL, f.Failures, f.NextPoll.Sub(start).Round(time.Second), f.LastError)
		}
	}
	if code, body := readyz(); code != 503 || !strings.Contains(body, "cannot write") {
		t.Errorf("/readyz with a full disk: %d %s", code, body)
	}
	failed := st.WriteFailures()
	if failed < 1 {
		t.Errorf("%d write failures counted with a full disk", failed)
	}
	gauges("with a full disk", "0", failed)

	// 2. Space returns: the polls are kept (polled here at once, past the backoff).
	st.LimitPages(ctx, 0)
	if res := d.cur().poller.PollAll(ctx, fs, nil); res[0].Err != nil || res[0].Saved.New != 200 {
		t.Fatalf("poll with space: %+v", res[0])
	}
	if code, _ := readyz(); code != 200 {
		t.Errorf("/readyz once writes go through: %d", code)
	}
	gauges("once writes go through", "1", failed)

	// 3. Full again before the items were clustered: clustering fails.
	full()
	d.cluster(ctx)
	if !d.clusterBehind.Load() {
		t.Fatal("clustering failed to write, but polls were not told to wait")
	}
	if code, body := readyz(); code != 503 || !strings.Contains(body, "cannot write") {
		t.Errorf("/readyz when clustering cannot write: %d %s", code, body)
	}
	before := hits.Load()
	d.pass(ctx, "")
	if hits.Load() != before {
		t.Errorf("a pass polled %d feeds while clustering could not store its decisions", hits.Load()-before)
	}

	// 4. Space returns: clustering catches up first, then polls resume (for
	// a feed not polled yet: a and b were polled in this interval).
	st.LimitPages(ctx, 0)
	d.cluster(ctx)
	if docs, _ := st.UnclusteredDocs(ctx, 10); len(docs) != 0 || d.clusterBehind.Load() {
		t.Fatalf("after the space returned: %d items still unclustered, behind %v", len(docs), d.clusterBehind.Load())
	}
	if _, err := st.AddFeed(ctx, store.FeedSpec{URL: feed.URL + "/c", Topic: "world"}, store.OriginCLI, time.Now()); err != nil {
		t.Fatal(err)
	}
	d.pass(ctx, "")
	if hits.Load() == before {
		t.Error("polls did not resume once clustering caught up")
	}
	if code, _ := readyz(); code != 200 {
		t.Errorf("/readyz after healing: %d", code)
	}
}
