package feeds_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald/feeds"
	"herald/store"
)

const newsDir = "../../shared/data/news/gesab001-headlines-2020-04-28_2020-05-04"

// snapshot is one row of snapshots.tsv: the body a feed served from At on.
type snapshot struct {
	At   time.Time
	Key  string
	Path string
}

func readSnapshots(t *testing.T) []snapshot {
	f, err := os.Open(filepath.Join(newsDir, "snapshots.tsv"))
	if os.IsNotExist(err) {
		t.Skipf("skipping: %s is absent (the shared data sets live beside the repo)", newsDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []snapshot
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		at, err := time.Parse(time.RFC3339, cols[0])
		if err != nil {
			continue // header
		}
		out = append(out, snapshot{At: at, Key: cols[1], Path: cols[5]})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// replayServer serves /{key} as the latest snapshot at or before the
// simulated time, with the snapshot's path as its ETag.
type replayServer struct {
	*httptest.Server
	snaps       []snapshot
	now         atomic.Int64 // simulated Unix seconds
	notModified atomic.Int64
	served      sync.Map // snapshot path → true, for each body sent
}

func (rs *replayServer) serve(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/")
	now := time.Unix(rs.now.Load(), 0)
	var cur *snapshot
	for i := range rs.snaps {
		if s := &rs.snaps[i]; s.Key == key && !s.At.After(now) {
			cur = s
		}
	}
	if cur == nil {
		http.NotFound(w, r)
		return
	}
	etag := `"` + cur.Path + `"`
	if r.Header.Get("If-None-Match") == etag {
		rs.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	rs.served.Store(cur.Path, true)
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/xml")
	http.ServeFile(w, r, filepath.Join(newsDir, cur.Path))
}

// TestReplayWeekOfNews replays a week of real snapshots from 20 news feeds
// hour by hour, restarting the poller and reopening the store half-way, and
// checks that every distinct item served was stored exactly once.
func TestReplayWeekOfNews(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the week-long replay in -short mode")
	}
	snaps := readSnapshots(t)
	rs := &replayServer{snaps: snaps}
	rs.Server = httptest.NewServer(http.HandlerFunc(rs.serve))
	defer rs.Close()

	keys := map[string]bool{}
	for _, s := range snaps {
		keys[s.Key] = true
	}
	var urls []string
	for k := range keys {
		urls = append(urls, rs.URL+"/"+k)
	}
	dbPath := filepath.Join(t.TempDir(), "herald.db")
	ctx := context.Background()
	start := time.Date(2020, 4, 28, 0, 0, 0, 0, time.UTC)
	end := start.Add(7 * 24 * time.Hour)
	restartAt := start.Add(84 * time.Hour)

	st := openAt(t, dbPath)
	subscribe(t, st, urls...)
	p := replayPoller(st, rs)
	polls := 0
	for now := start; now.Before(end); now = now.Add(time.Hour) {
		if now.Equal(restartAt) { // the daemon stops and starts again
			st.Close()
			st = openAt(t, dbPath)
			p = replayPoller(st, rs)
		}
		rs.now.Store(now.Unix())
		polls += len(pollDue(t, st, p, now))
	}
	defer st.Close()

	want := expectedKeys(t, rs)
	got, err := st.ItemKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, k := range got {
		seen[k]++
	}
	var missing, extra []string
	for k := range want {
		if seen[k] == 0 {
			missing = append(missing, k)
		}
	}
	for k, n := range seen {
		if !want[k] || n != 1 {
			extra = append(extra, k)
		}
	}
	items, _ := st.CountItems(ctx)
	t.Logf("replay: %d polls, %d answered 304, %d memberships stored (%d expected), %d items",
		polls, rs.notModified.Load(), len(got), len(want), items)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("%d items served but not stored (e.g. %q), %d stored but not served or twice (e.g. %q)",
			len(missing), first(missing), len(extra), first(extra))
	}
	if rs.notModified.Load() == 0 {
		t.Error("no poll was answered 304: validators are not sent back")
	}
}

func openAt(t *testing.T, path string) *store.Store {
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func replayPoller(st *store.Store, rs *replayServer) *feeds.Poller {
	p := newPoller(st, 4)
	p.Now = func() time.Time { return time.Unix(rs.now.Load(), 0).UTC() }
	return p
}

// expectedKeys parses every snapshot the server sent: the union of their
// (feed, guid) is what the poller should have stored. (A snapshot replaced
// within the hour was never served, like a version a poller never saw.)
func expectedKeys(t *testing.T, rs *replayServer) map[string]bool {
	want := map[string]bool{}
	for _, s := range rs.snaps {
		if _, ok := rs.served.Load(s.Path); !ok {
			continue
		}
		body, err := os.ReadFile(filepath.Join(newsDir, s.Path))
		if err != nil {
			t.Fatal(err)
		}
		u := rs.URL + "/" + s.Key
		doc, err := feeds.Parse(body, "application/xml", feeds.Feed{URL: u}, s.At)
		if err != nil {
			continue // the poller records these as failed polls
		}
		for _, it := range doc.Items {
			want[u+"\x00"+it.GUID] = true
		}
	}
	return want
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	sort.Strings(s)
	return strings.ReplaceAll(s[0], "\x00", " ")
}
