package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"herald/feeds"
	"herald/store"
)

// TestFeedHealthPages: /feeds lists 200 feeds a page with links between
// pages, uses the window's width, and says "due" rather than a next poll
// in the past; /feeds.json lists every feed in the documented schema.
func TestFeedHealthPages(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	var specs []store.FeedSpec
	for i := range 450 {
		specs = append(specs, store.FeedSpec{URL: fmt.Sprintf("http://wire%03d.example/rss", i), Topic: "world"})
	}
	if err := st.SyncFeeds(ctx, store.OriginConfig, specs, now); err != nil {
		t.Fatal(err)
	}
	first, err := st.Feed(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// wire000 failed an hour ago and waits two more; the rest were never polled (due).
	first.LastPoll, first.NextPoll, first.Failures = now.Add(-time.Hour), now.Add(2*time.Hour), 1
	first.LastStatus, first.LastError = feeds.StatusError, "fetch: 500 Internal Server Error"
	if _, err := st.SavePoll(ctx, first, nil, now); err != nil {
		t.Fatal(err)
	}
	// wire001's last document listed 60 entries, every one past retention.
	second, err := st.Feed(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	second.LastPoll, second.NextPoll, second.LastStatus = now.Add(-time.Hour), now.Add(time.Hour), feeds.StatusOK
	second.Listed, second.Old = 60, 60
	if _, err := st.SavePoll(ctx, second, nil, now); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, st, Options{})

	_, page1, _ := get(t, srv.URL+"/feeds")
	for _, want := range []string{`<body class="wide">`, "450 feeds; 1–200 on page 1 of 3", `href="/feeds?page=2" rel="next"`,
		"backoff", "never_polled", "<td>due</td>", "wire199.example",
		`<td>0<br><span class="muted">all 60 listed items are older than the retention period</span></td>`} {
		if !strings.Contains(page1, want) {
			t.Errorf("/feeds lacks %q", want)
		}
	}
	if strings.Contains(page1, "wire200.example") || strings.Contains(page1, `rel="prev"`) {
		t.Error("/feeds page 1 shows a feed of page 2, or a previous page")
	}
	_, page3, _ := get(t, srv.URL+"/feeds?page=3")
	if !strings.Contains(page3, "401–450 on page 3 of 3") || !strings.Contains(page3, `href="/feeds?page=2" rel="prev"`) ||
		strings.Contains(page3, `rel="next"`) || !strings.Contains(page3, "wire449.example") {
		t.Errorf("/feeds?page=3:\n%s", page3)
	}
	if code, _, _ := get(t, srv.URL+"/feeds?page=x"); code != 400 {
		t.Errorf("/feeds?page=x: %d, want 400", code)
	}

	_, body, _ := get(t, srv.URL+"/feeds.json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 450 {
		t.Fatalf("/feeds.json: %d feeds, %v", len(list), err)
	}
	want := map[string]any{"url": "http://wire000.example/rss", "title": "", "site_url": "", "topics": []any{"world"},
		"status": "backoff", "last_result": "error", "failures": 1.0, "last_poll": "2026-11-23T17:00:00Z", "due": false,
		"next_poll": "2026-11-23T20:00:00Z", "items": 0.0, "last_error": "fetch: 500 Internal Server Error",
		"listed_items": 0.0, "old_items": 0.0, "old_note": ""}
	if fmt.Sprint(list[0]) != fmt.Sprint(want) {
		t.Errorf("/feeds.json[0]:\n got %v\nwant %v", list[0], want)
	}
	if list[1]["status"] != "ok" || list[1]["listed_items"] != 60.0 || list[1]["old_items"] != 60.0 {
		t.Errorf("/feeds.json[1], all its items old: %v", list[1])
	}
	if list[2]["due"] != true || list[2]["next_poll"] != nil || list[2]["last_poll"] != nil || list[2]["status"] != "never_polled" {
		t.Errorf("/feeds.json[2], never polled: %v", list[2])
	}
}
