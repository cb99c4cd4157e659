// Package feedtest serves recorded feed snapshots over loopback HTTP as
// they were at a simulated time, for tests that replay a week of real
// news (../shared/data/news) through Herald's real poller.
package feedtest

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Snapshot is one row of a news set's snapshots.tsv: the body a feed
// served from At on.
type Snapshot struct {
	At             time.Time
	Key, Publisher string // the feed's key (its URL path here) and its publisher's name
	Path           string // the body's file, relative to the set's folder
}

// ReadSnapshots reads dir/snapshots.tsv, oldest first. The error wraps
// os.ErrNotExist when the set is absent.
func ReadSnapshots(dir string) ([]Snapshot, error) {
	f, err := os.Open(filepath.Join(dir, "snapshots.tsv"))
	if err != nil {
		return nil, fmt.Errorf("news snapshots: %w", err)
	}
	defer f.Close()
	var out []Snapshot
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 6 {
			continue
		}
		at, err := time.Parse(time.RFC3339, cols[0])
		if err != nil {
			continue // the header
		}
		out = append(out, Snapshot{At: at, Key: cols[1], Publisher: cols[2], Path: cols[5]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("news snapshots: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

// Replay serves /{key} as the latest snapshot at or before the simulated
// time, with the snapshot's path as its ETag (so a poller's conditional
// request is answered 304 until the feed changes).
type Replay struct {
	*httptest.Server
	Dir         string
	Snaps       []Snapshot
	now         atomic.Int64 // simulated Unix seconds
	notModified atomic.Int64
	served      sync.Map // snapshot path → true, for each body sent
}

// NewReplay starts a server replaying snaps, the snapshots of the set in
// dir. Close it when done.
func NewReplay(dir string, snaps []Snapshot) *Replay {
	r := &Replay{Dir: dir, Snaps: snaps}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

// SetNow moves the simulated time.
func (r *Replay) SetNow(t time.Time) { r.now.Store(t.Unix()) }

// Now is the simulated time.
func (r *Replay) Now() time.Time { return time.Unix(r.now.Load(), 0).UTC() }

// NotModified counts the requests answered 304.
func (r *Replay) NotModified() int64 { return r.notModified.Load() }

// Served reports whether the snapshot at path was sent at least once.
func (r *Replay) Served(path string) bool {
	_, ok := r.served.Load(path)
	return ok
}

// Keys lists the feeds of the set, each once, in the order first seen.
func (r *Replay) Keys() []Snapshot {
	var out []Snapshot
	seen := map[string]bool{}
	for _, s := range r.Snaps {
		if !seen[s.Key] {
			seen[s.Key] = true
			out = append(out, s)
		}
	}
	return out
}

func (r *Replay) serve(w http.ResponseWriter, req *http.Request) {
	key := strings.TrimPrefix(req.URL.Path, "/")
	now := r.Now()
	var cur *Snapshot
	for i := range r.Snaps {
		if s := &r.Snaps[i]; s.Key == key && !s.At.After(now) {
			cur = s
		}
	}
	if cur == nil {
		http.NotFound(w, req)
		return
	}
	etag := `"` + cur.Path + `"`
	if req.Header.Get("If-None-Match") == etag {
		r.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	r.served.Store(cur.Path, true)
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/xml")
	http.ServeFile(w, req, filepath.Join(r.Dir, cur.Path))
}
