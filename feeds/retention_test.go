package feeds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/feeds"
)

// rssAt writes an RSS document with one item per date; a zero date makes
// an undated item.
func rssAt(dates ...time.Time) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Slow desk</title><link>http://slow.example/</link>`)
	for i, d := range dates {
		fmt.Fprintf(&b, `<item><title>Story %d</title><link>http://slow.example/%d</link><description>Talks %d went on.</description>`, i, i, i)
		if !d.IsZero() {
			fmt.Fprintf(&b, `<pubDate>%s</pubDate>`, d.Format(time.RFC1123Z))
		}
		b.WriteString(`</item>`)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// Items dated before the retention period are left out when the document
// is parsed, before their HTML is cleaned, and counted; undated ones stay.
func TestParseLeavesOutOldItems(t *testing.T) {
	now := time.Now().UTC()
	body := rssAt(now.Add(-40*24*time.Hour), now.Add(-time.Hour), time.Time{}, now.Add(-31*24*time.Hour))
	doc, err := feeds.ParseWith([]byte(body), "application/rss+xml", feeds.Feed{URL: "http://slow.example/rss"}, now,
		feeds.ParseOptions{MaxAge: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Items) != 2 || doc.Old != 2 || doc.Listed() != 4 {
		t.Fatalf("kept %d items, %d old, %d listed; want 2, 2, 4", len(doc.Items), doc.Old, doc.Listed())
	}
	if doc.Items[0].Title != "Story 1" || doc.Items[1].Title != "Story 2" {
		t.Errorf("kept %q and %q, want the recent and the undated story", doc.Items[0].Title, doc.Items[1].Title)
	}
}

// A feed whose every item is past retention stores nothing, says so on its
// health, and is not parsed again while it serves the same body; a new
// item, or a longer retention, reads it again.
func TestFeedOfOldItems(t *testing.T) {
	ctx := context.Background()
	now := time.Now().UTC()
	var mu sync.Mutex
	body := rssAt(now.Add(-40*24*time.Hour), now.Add(-50*24*time.Hour), now.Add(-60*24*time.Hour))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, body) // no validators: every poll gets the whole body
	}))
	defer srv.Close()
	st := openStore(t)
	subscribe(t, st, srv.URL+"/rss")
	p := newPoller(st, 1)
	p.Parse.MaxAge = 30 * 24 * time.Hour
	poll := func(p *feeds.Poller) (feeds.Result, feeds.Feed) {
		t.Helper()
		return pollStored(t, st, p, srv.URL+"/rss")
	}

	r, f := poll(p)
	if r.Status != feeds.StatusOK || r.Saved.New != 0 || f.Listed != 3 || f.Old != 3 || !f.AllOld() ||
		f.Health(now) != feeds.HealthOK || f.OldNote() != "all 3 listed items are older than the retention period" {
		t.Fatalf("first poll: %s %+v; feed listed %d, old %d, health %s, note %q", r.Status, r.Saved, f.Listed, f.Old,
			f.Health(now), f.OldNote())
	}
	if stats, _ := st.Stats(ctx, now, now); stats.AllOld != 1 {
		t.Errorf("store stats: %d feeds with only old items, want 1", stats.AllOld)
	}

	r, f = poll(p)
	if r.Status != feeds.StatusNotModified || f.LastStatus != feeds.StatusNotModified || f.Listed != 3 || f.Old != 3 {
		t.Fatalf("same body again: %s; feed %s, listed %d, old %d; want not parsed, counts kept", r.Status, f.LastStatus,
			f.Listed, f.Old)
	}

	mu.Lock()
	body = rssAt(now.Add(-time.Hour), now.Add(-40*24*time.Hour), now.Add(-50*24*time.Hour), now.Add(-60*24*time.Hour))
	mu.Unlock()
	r, f = poll(p)
	if r.Status != feeds.StatusOK || r.Saved.New != 1 || f.Listed != 4 || f.Old != 3 || f.AllOld() ||
		f.OldNote() != "3 of 4 listed items are older than the retention period" {
		t.Fatalf("a new item: %s %+v; listed %d, old %d, note %q", r.Status, r.Saved, f.Listed, f.Old, f.OldNote())
	}

	longer := newPoller(st, 1)
	longer.Parse.MaxAge = 90 * 24 * time.Hour // the operator keeps items longer now
	r, f = poll(longer)
	if r.Status != feeds.StatusOK || r.Saved.New != 3 || f.Old != 0 || f.OldNote() != "" {
		t.Fatalf("longer retention: %s %+v; old %d; want the body read again and its 3 items stored", r.Status, r.Saved, f.Old)
	}
	if n, _ := st.CountItems(ctx); n != 4 {
		t.Errorf("%d items stored, want 4", n)
	}
}
