package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"herald/events"
	"herald/web"
)

// A story edited at its source (same guid, new title) reaches feed
// readers: after the next poll the event's headline is the new title and
// its updated time has moved, in the store and in /all.rss.
func TestEditsReachReaders(t *testing.T) {
	ctx := context.Background()
	published := time.Now().Add(-time.Hour).UTC()
	var title atomic.Value
	title.Store("Minister resigns")
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>%s</channel></rss>`,
			rssItem("m1", title.Load().(string), published))
	}))
	defer feed.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "herald.db")
	cfg := filepath.Join(dir, "config.yaml")
	raw := fmt.Sprintf("storage: %s\npoll: {allow_networks: [127.0.0.0/8]}\ntopics:\n  - name: world\n    feeds: [{url: %q}]\n", db, feed.URL+"/rss")
	if err := os.WriteFile(cfg, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := herald(t, ctx, "--config", cfg, "poll", "--all"); err != nil {
		t.Fatalf("poll: %v\n%s", err, out)
	}
	before := onlyEvent(t, db)
	title.Store("Minister resigns over budget row")
	time.Sleep(10 * time.Millisecond) // the edit's time differs from the first poll's
	if out, err := herald(t, ctx, "--config", cfg, "poll", "--all"); err != nil {
		t.Fatalf("poll: %v\n%s", err, out)
	}
	after := onlyEvent(t, db)
	if after.ID != before.ID || after.Headline != "Minister resigns over budget row" || !after.LastUpdated.After(before.LastUpdated) {
		t.Fatalf("event after the edit: %s %q updated %v; want %s with the new title, updated after %v",
			after.ID, after.Headline, after.LastUpdated, before.ID, before.LastUpdated)
	}
	st := openStore(t, db)
	srv := httptest.NewServer(web.New(st, web.Options{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/all.rss")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "<title>Minister resigns over budget row</title>") {
		t.Errorf("/all.rss does not carry the edited title:\n%s", body)
	}
}

func onlyEvent(t *testing.T, db string) events.Event {
	t.Helper()
	st := openStore(t, db)
	defer st.Close()
	evs, err := st.Events(context.Background(), events.Query{})
	if err != nil || len(evs) != 1 {
		t.Fatalf("events: %+v, %v; want one", evs, err)
	}
	return evs[0]
}
