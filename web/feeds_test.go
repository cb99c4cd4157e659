package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"herald/events"
	"herald/store"
)

// need returns the path of an outside program the test runs, skipping the
// test when it is missing, except in CI where it must be there.
func need(t *testing.T, path, pkg string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (install Debian %s): %v", path, pkg, err)
		}
		t.Skipf("%s is missing: install Debian %s to run this test", path, pkg)
	}
	return path
}

// parsed is what Python feedparser made of a feed.
type parsed struct {
	Version string
	Bozo    int
	BozoErr string `json:"bozo_exception"`
	Title   string
	Links   []string
	Entries []struct {
		ID, Title, Link, Published, Updated, Summary, Content string
	}
}

const feedparserScript = `
import json, sys, feedparser
out = []
for url in sys.argv[1:]:
  d = feedparser.parse(url)
  out.append({"version": d.version, "bozo": int(d.bozo), "bozo_exception": str(d.get("bozo_exception", "")),
    "title": d.feed.get("title", ""), "links": [l.get("rel", "") + " " + l.get("href", "") for l in d.feed.get("links", [])],
    "entries": [{"id": e.get("id", ""), "title": e.get("title", ""), "link": e.get("link", ""),
      "published": e.get("published", ""), "updated": e.get("updated", ""), "summary": e.get("summary", ""),
      "content": (e.get("content") or [{}])[0].get("value", "")} for e in d.entries]})
print(json.dumps(out))
`

// feedparser parses each URL with Debian's python3-feedparser, in one
// Python process.
func feedparser(t *testing.T, urls ...string) []parsed {
	t.Helper()
	py := need(t, "/usr/bin/python3", "python3-feedparser")
	out, err := exec.Command(py, append([]string{"-c", feedparserScript}, urls...)...).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && strings.Contains(string(exit.Stderr), "No module named 'feedparser'") && os.Getenv("CI") != "true" {
		t.Skip("feedparser is missing: install Debian python3-feedparser to run this test")
	}
	if err != nil {
		t.Fatalf("feedparser %v: %v", urls, err)
	}
	var ps []parsed
	if err := json.Unmarshal(out, &ps); err != nil || len(ps) != len(urls) {
		t.Fatalf("feedparser output: %v\n%s", err, out)
	}
	return ps
}

func TestFeedparserReadsEveryFeed(t *testing.T) {
	st, _ := fixture(t)
	srv := serve(t, st, Options{})
	cases := []struct {
		path, version string
		ids           []string
	}{
		{"/topics/world.rss", "rss20", []string{"tag:herald,2026:event/ev-talks", "tag:herald,2026:event/ev-summit"}},
		{"/topics/world.atom", "atom10", []string{"tag:herald,2026:event/ev-talks", "tag:herald,2026:event/ev-summit"}},
		{"/all.rss", "rss20", []string{"tag:herald,2026:event/ev-talks", "tag:herald,2026:event/ev-summit", "tag:herald,2026:event/ev-chip"}},
		{"/all.atom", "atom10", []string{"tag:herald,2026:event/ev-talks", "tag:herald,2026:event/ev-summit", "tag:herald,2026:event/ev-chip"}},
		// Today (23 Nov) is not over: only past days have a briefing item.
		{"/topics/world/briefings.rss", "rss20", []string{"tag:herald,2026:briefing/world/2026-11-22"}},
		{"/topics/world/briefings.atom", "atom10", []string{"tag:herald,2026:briefing/world/2026-11-22"}},
		{"/topics/tech/briefings.rss", "rss20", []string{"tag:herald,2026:briefing/tech/2026-11-21"}},
		{"/topics/tech/briefings.atom", "atom10", []string{"tag:herald,2026:briefing/tech/2026-11-21"}},
		{"/topics/tech.rss", "rss20", []string{"tag:herald,2026:event/ev-chip"}},
		{"/topics/tech.atom", "atom10", []string{"tag:herald,2026:event/ev-chip"}},
		{"/storylines/sl-korea.rss", "rss20", []string{"tag:herald,2026:event/ev-talks", "tag:herald,2026:event/ev-summit"}},
		{"/storylines/sl-korea.atom", "atom10", []string{"tag:herald,2026:event/ev-talks", "tag:herald,2026:event/ev-summit"}},
	}
	var urls []string
	for _, tc := range cases {
		urls = append(urls, srv.URL+tc.path)
	}
	urls = append(urls, srv.URL+"/topics/world.atom", srv.URL+"/topics/world/briefings.rss")
	results := feedparser(t, urls...)
	for i, tc := range cases {
		p := results[i]
		if p.Bozo != 0 || p.Version != tc.version {
			t.Errorf("%s: version %q bozo %d (%s)", tc.path, p.Version, p.Bozo, p.BozoErr)
		}
		var ids []string
		for _, e := range p.Entries {
			ids = append(ids, e.ID)
			if e.Title == "" || !strings.HasPrefix(e.Link, srv.URL+"/") || e.Updated == "" && e.Published == "" {
				t.Errorf("%s: entry %+v", tc.path, e)
			}
		}
		if strings.Join(ids, " ") != strings.Join(tc.ids, " ") {
			t.Errorf("%s: ids %v, want %v", tc.path, ids, tc.ids)
		}
		if !strings.Contains(strings.Join(p.Links, " "), "self "+srv.URL+tc.path) {
			t.Errorf("%s: no self link in %v", tc.path, p.Links)
		}
	}
	if e := results[len(cases)].Entries[0]; !strings.Contains(e.Content, `href="https://news3.example/ev-talks"`) ||
		!strings.Contains(e.Content, "Publisher 2") || e.Summary != "Summary of "+e.Title {
		t.Errorf("event entry content: %+v", e)
	}
	if e := results[len(cases)+1].Entries[0]; !strings.Contains(e.Content, srv.URL+"/events/ev-summit.html") || !strings.Contains(e.Title, "22 November 2026") {
		t.Errorf("briefing entry: %+v", e)
	}
}

// TestJSONFeeds reads the JSON Feeds with gofeed (Debian's feedparser has
// no JSON Feed support).
func TestJSONFeeds(t *testing.T) {
	st, _ := fixture(t)
	srv := serve(t, st, Options{})
	for path, n := range map[string]int{"/all.json": 3, "/topics/tech.json": 1, "/topics/world/briefings.json": 1, "/storylines/sl-korea.json": 2} {
		_, body, _ := get(t, srv.URL+path)
		f, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if f.FeedType != "json" || f.FeedVersion != "https://jsonfeed.org/version/1.1" || f.FeedLink != srv.URL+path || len(f.Items) != n {
			t.Errorf("%s: type %s %s, feed_url %q, %d items (want %d)", path, f.FeedType, f.FeedVersion, f.FeedLink, len(f.Items), n)
		}
		for _, it := range f.Items {
			if !strings.HasPrefix(it.GUID, "tag:herald,2026:") || it.UpdatedParsed == nil {
				t.Errorf("%s: item %q has id %q, updated %v", path, it.Title, it.GUID, it.UpdatedParsed)
			}
		}
	}
}

// TestConditionalRequests: validators give 304 until a source joins an
// event; then the feed changes, the item keeps its id and moves its date.
func TestConditionalRequests(t *testing.T) {
	st, evs := fixture(t)
	srv := serve(t, st, Options{PublicURL: "https://herald.example"}) // else private: TestHostHeaderCannotPoisonACache
	url := srv.URL + "/topics/world.atom"
	code, body, h := get(t, url)
	etag, lm := h.Get("ETag"), h.Get("Last-Modified")
	if code != 200 || etag == "" || lm != evs[0].LastUpdated.Format(http.TimeFormat) || h.Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("first GET: %d, ETag %q, Last-Modified %q, Cache-Control %q", code, etag, lm, h.Get("Cache-Control"))
	}
	if _, rss, _ := get(t, srv.URL+"/topics/world.rss"); !strings.Contains(rss, "<ttl>5</ttl>") {
		t.Error("RSS feed without a ttl of 5 minutes")
	}
	for _, hdr := range [][2]string{{"If-None-Match", etag}, {"If-None-Match", `"x", W/` + etag}, {"If-Modified-Since", lm}} {
		if code, body, _ := get(t, url, hdr[0], hdr[1]); code != http.StatusNotModified || body != "" {
			t.Errorf("%s: %s: %d with %d bytes, want 304 and no body", hdr[0], hdr[1], code, len(body))
		}
	}
	if code, _, _ := get(t, url, "If-None-Match", `"stale"`); code != 200 {
		t.Errorf("stale ETag: %d, want 200", code)
	}

	grow(t, st, evs[0], "Publisher 9", "https://news9.example/late", now.Add(-time.Hour))
	code, body, h = get(t, url, "If-None-Match", etag)
	if code != 200 || h.Get("ETag") == etag {
		t.Fatalf("after a source joined: %d, ETag %q (was %q)", code, h.Get("ETag"), etag)
	}
	if strings.Count(body, "<id>tag:herald,2026:event/ev-talks</id>") != 1 || !strings.Contains(body, "Publisher 9") ||
		!strings.Contains(body, "<updated>"+now.Add(-time.Hour).Format(time.RFC3339)+"</updated>") {
		t.Errorf("grown event in the feed:\n%s", body)
	}
	if code, _, _ := get(t, url, "If-Modified-Since", lm); code != 200 {
		t.Errorf("If-Modified-Since before the growth: %d, want 200", code)
	}
}

// grow adds a source to ev, published at, as the deduplicator would.
func grow(t testing.TB, st *store.Store, ev events.Event, publisher, url string, at time.Time) events.Event {
	t.Helper()
	ctx := context.Background()
	f, err := st.AddFeed(ctx, store.FeedSpec{URL: "http://feeds.example/" + ev.Topics[0], Topic: ev.Topics[0]}, store.OriginCLI, now)
	if err != nil {
		t.Fatal(err)
	}
	item := feedsItem(url, ev.Headline+" (late report)", publisher, at)
	if _, err := st.SavePoll(ctx, f, item, now); err != nil {
		t.Fatal(err)
	}
	docs, err := st.UnclusteredDocs(ctx, 10)
	if err != nil || len(docs) != 1 {
		t.Fatalf("new doc: %v %v", docs, err)
	}
	ev.Size++
	ev.LastUpdated = later(ev.LastUpdated, at)
	if err := st.SaveClustering(ctx, events.Clustering{Assignments: []events.Assignment{{DocID: docs[0].ID, EventID: ev.ID}}, Events: []events.Event{ev}}); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestFeedItemListsTheFirstSources: a big event's item stays small and
// points to the page for the rest.
func TestFeedItemListsTheFirstSources(t *testing.T) {
	it, err := eventItem("https://herald.example", event("ev-big", "world", "Big story", now.Add(-30*time.Hour), 25))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(it.ContentHTML, "<li>"); n != itemSources || !strings.Contains(it.ContentHTML, "25 reports") ||
		!strings.Contains(it.ContentHTML, `<a href="https://herald.example/events/ev-big.html">5 more on the event page</a>`) {
		t.Errorf("%d sources listed:\n%s", n, it.ContentHTML)
	}
}
