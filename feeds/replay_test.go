package feeds_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"herald/feeds"
	"herald/feeds/feedtest"
	"herald/store"
)

const newsDir = "../../shared/data/news/gesab001-headlines-2020-04-28_2020-05-04"

func readSnapshots(t *testing.T) []feedtest.Snapshot {
	snaps, err := feedtest.ReadSnapshots(newsDir)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("skipping: %s is absent (the shared data sets live beside the repo)", newsDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	return snaps
}

// TestReplayWeekOfNews replays a week of real snapshots from 20 news feeds
// hour by hour, restarting the poller and reopening the store half-way, and
// checks that every distinct item served was stored exactly once.
func TestReplayWeekOfNews(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the week-long replay in -short mode")
	}
	rs := feedtest.NewReplay(newsDir, readSnapshots(t))
	defer rs.Close()
	var urls []string
	for _, s := range rs.Keys() {
		urls = append(urls, rs.URL+"/"+s.Key)
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
		rs.SetNow(now)
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
		polls, rs.NotModified(), len(got), len(want), items)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("%d items served but not stored (e.g. %q), %d stored but not served or twice (e.g. %q)",
			len(missing), first(missing), len(extra), first(extra))
	}
	if rs.NotModified() == 0 {
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

func replayPoller(st *store.Store, rs *feedtest.Replay) *feeds.Poller {
	p := newPoller(st, 4)
	p.Now = rs.Now
	return p
}

// expectedKeys parses every snapshot the server sent: the union of their
// (feed, guid) is what the poller should have stored. (A snapshot replaced
// within the hour was never served, like a version a poller never saw.)
func expectedKeys(t *testing.T, rs *feedtest.Replay) map[string]bool {
	want := map[string]bool{}
	for _, s := range rs.Snaps {
		if !rs.Served(s.Path) {
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
