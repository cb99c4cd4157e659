package web

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/store"
)

// TestNewsboatSeesUpdatesNotDuplicates subscribes Debian's newsboat to an
// RSS and an Atom output feed, lets a source join an event, and reads
// newsboat's own cache: one row per event, updated in place; and newsboat's
// third reload is answered 304.
func TestNewsboatSeesUpdatesNotDuplicates(t *testing.T) {
	exe := need(t, "/usr/bin/newsboat", "newsboat")
	st, evs := fixture(t)
	srv, reload := newsboat(t, exe, st, "/topics/world.rss", "/topics/tech.atom")

	reload()
	rows := newsboatItems(t, filepath.Join(srv.dir, "cache.db"))
	want := []string{"tag:herald,2026:event/ev-chip", "tag:herald,2026:event/ev-summit", "tag:herald,2026:event/ev-talks"}
	if got := keys(rows); !slices.Equal(got, want) {
		t.Fatalf("newsboat items after the first reload: %v, want %v", got, want)
	}
	if strings.Contains(rows[want[2]], "Publisher 9") {
		t.Fatal("fixture already has Publisher 9")
	}

	grow(t, st, evs[0], "Publisher 9", "https://news9.example/late", now.Add(-time.Hour))
	reload()
	rows = newsboatItems(t, filepath.Join(srv.dir, "cache.db"))
	if got := keys(rows); !slices.Equal(got, want) {
		t.Errorf("newsboat items after a source joined: %v, want the same %v", got, want)
	}
	if !strings.Contains(rows[want[2]], "Publisher 9") {
		t.Errorf("newsboat did not update the grown event: %q", rows[want[2]])
	}
	if got := reload(); len(got) != 2 || got[0] != http.StatusNotModified || got[1] != http.StatusNotModified {
		t.Errorf("newsboat's reload of unchanged feeds got %v, want two 304s", got)
	}
}

// TestNewsboatFollowsAStoryline subscribes newsboat to one storyline's
// feed; when the storyline is folded into another, newsboat follows the
// redirect and shows the thread's events, the one it had under the same
// row.
func TestNewsboatFollowsAStoryline(t *testing.T) {
	exe := need(t, "/usr/bin/newsboat", "newsboat")
	st, evs := fixture(t)
	srv, reload := newsboat(t, exe, st, "/storylines/sl-chip.rss")
	reload()
	cache := filepath.Join(srv.dir, "cache.db")
	if got := keys(newsboatItems(t, cache)); !slices.Equal(got, []string{"tag:herald,2026:event/ev-chip"}) {
		t.Fatalf("newsboat items of sl-chip: %v", got)
	}
	mergeStorylines(t, st, evs[0], "sl-korea", "sl-chip")
	statuses := reload()
	want := []string{"tag:herald,2026:event/ev-chip", "tag:herald,2026:event/ev-summit", "tag:herald,2026:event/ev-talks"}
	if got := keys(newsboatItems(t, cache)); !slices.Equal(got, want) {
		t.Errorf("newsboat items after the merge: %v (answers %v), want %v", got, statuses, want)
	}
}

// newsboatServer is Herald's handler on loopback, recording the status of
// each answer, with a newsboat home in dir.
type newsboatServer struct {
	*httptest.Server
	dir string
}

// newsboat serves st and returns a function that has newsboat reload the
// feeds at paths, returning the statuses Herald answered.
func newsboat(t *testing.T, exe string, st *store.Store, paths ...string) (*newsboatServer, func() []int) {
	h := New(st, Options{Topics: testTopics, Now: func() time.Time { return now }})
	var mu sync.Mutex
	var statuses []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		mu.Lock()
		statuses = append(statuses, sw.status)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	urls := ""
	for _, p := range paths {
		urls += srv.URL + p + "\n"
	}
	for name, body := range map[string]string{"urls": urls, "config": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cache := filepath.Join(dir, "cache.db")
	reload := func() []int {
		t.Helper()
		mu.Lock()
		statuses = nil
		mu.Unlock()
		cmd := exec.Command(exe, "-u", filepath.Join(dir, "urls"), "-c", cache, "-C", filepath.Join(dir, "config"), "-x", "reload")
		cmd.Env = append(os.Environ(), "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("newsboat reload: %v\n%s", err, out)
		}
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(statuses)
	}
	return &newsboatServer{Server: srv, dir: dir}, reload
}

// newsboatItems reads newsboat's cache: item content by guid.
func newsboatItems(t *testing.T, cache string) map[string]string {
	t.Helper()
	db, err := sql.Open("sqlite", cache)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT guid, content FROM rss_item`)
	if err != nil {
		t.Fatalf("read newsboat cache: %v", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var guid, content string
		if err := rows.Scan(&guid, &content); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[guid]; dup {
			t.Errorf("newsboat has item %s twice", guid)
		}
		out[guid] = content
	}
	return out
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
