package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
	"herald/metrics"
)

// get fetches url and returns the status, the body and the headers.
func get(t testing.TB, url string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func TestRoutesAnswer(t *testing.T) {
	st, _ := fixture(t)
	srv := serve(t, st, Options{})
	for _, tc := range []struct {
		path, ctype string
		code        int
	}{
		{"/", "text/html", 200},
		{"/events/ev-talks.html", "text/html", 200},
		{"/events/ev-talks.json", "application/json", 200},
		{"/events/ev-talks.xml", "application/xml", 200},
		{"/events/ev-talks.md", "text/markdown", 200},
		{"/events/ev-talks.pdf", "text/plain", 404},
		{"/events/ev-nope.html", "text/plain", 404},
		{"/briefings/2026-11-23.html", "text/html", 200},
		{"/briefings/2026-11-22.json", "application/json", 200},
		{"/briefings/2026-11-22.xml", "application/xml", 200},
		{"/briefings/2026-11-22.md", "text/markdown", 200},
		{"/briefings/yesterday.html", "text/plain", 404},
		{"/topics/world/briefings/2026-11-22.html", "text/html", 200},
		{"/topics/nope/briefings/2026-11-22.html", "text/plain", 404},
		{"/topics/world.html", "text/html", 200},
		{"/topics/world.rss", "application/rss+xml", 200},
		{"/topics/world.atom", "application/atom+xml", 200},
		{"/topics/world.json", "application/feed+json", 200},
		{"/topics/world.txt", "text/plain", 404},
		{"/topics/nope.rss", "text/plain", 404},
		{"/topics/world/briefings.rss", "application/rss+xml", 200},
		{"/topics/world/briefings.atom", "application/atom+xml", 200},
		{"/topics/world/briefings.json", "application/feed+json", 200},
		{"/all.rss", "application/rss+xml", 200},
		{"/all.atom", "application/atom+xml", 200},
		{"/all.json", "application/feed+json", 200},
		{"/feeds", "text/html", 200},
		{"/feeds.json", "application/json", 200},
		{"/opml", "text/x-opml", 200},
		{"/healthz", "text/plain", 200},
		{"/readyz", "application/json", 200},
		{"/metrics", "text/plain", 404}, // no Metrics handler given
	} {
		code, _, h := get(t, srv.URL+tc.path)
		if code != tc.code || !strings.HasPrefix(h.Get("Content-Type"), tc.ctype) {
			t.Errorf("GET %s: %d %s, want %d %s", tc.path, code, h.Get("Content-Type"), tc.code, tc.ctype)
		}
	}
}

// TestEventPageFormats checks that the four formats of an event page
// carry the same content.
func TestEventPageFormats(t *testing.T) {
	st, evs := fixture(t)
	srv := serve(t, st, Options{PublicURL: "https://herald.example/"})
	want := evs[0]

	_, body, _ := get(t, srv.URL+"/events/ev-talks.json")
	var v eventView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("event JSON: %v\n%s", err, body)
	}
	if v.ID != want.ID || v.Headline != want.Headline || len(v.Sources) != 3 || v.Size != 3 ||
		v.URL != "https://herald.example/events/ev-talks.html" {
		t.Errorf("event JSON: %+v", v)
	}
	if len(v.Related) != 1 || v.Related[0].ID != "ev-summit" || v.Related[0].Headline != evs[1].Headline ||
		strings.Join(v.Related[0].Shared, ",") != "North Korea,United States" {
		t.Errorf("related events: %+v", v.Related)
	}
	if v.Sources[2].Publisher != "Publisher 3" || v.Sources[2].URL != "https://news3.example/ev-talks" {
		t.Errorf("sources: %+v", v.Sources)
	}

	_, body, _ = get(t, srv.URL+"/events/ev-talks.xml")
	var x eventView
	if err := xml.Unmarshal([]byte(body), &x); err != nil {
		t.Fatalf("event XML: %v\n%s", err, body)
	}
	if x.ID != v.ID || x.Headline != v.Headline || len(x.Sources) != 3 || len(x.Related) != 1 || len(x.Entities) != 2 {
		t.Errorf("event XML differs from JSON: %+v", x)
	}

	_, md, _ := get(t, srv.URL+"/events/ev-talks.md")
	_, page, _ := get(t, srv.URL+"/events/ev-talks.html")
	for _, s := range []string{"North and South Korea agree to seek talks to end the war", "Publisher 3", "/briefings/2026-11-23.html"} {
		if !strings.Contains(page, s) {
			t.Errorf("HTML page lacks %q", s)
		}
	}
	for _, s := range []string{"# North and South Korea agree to seek talks to end the war",
		"(<https://news3.example/ev-talks>)", "(<https://herald.example/events/ev-summit.html>)"} {
		if !strings.Contains(md, s) {
			t.Errorf("Markdown lacks %q:\n%s", s, md)
		}
	}
	if !strings.Contains(page, `<svg class="timeline"`) || strings.Count(page, "<rect") != 3 {
		t.Errorf("timeline: want 3 hourly bars in the SVG")
	}
}

func TestBriefingPagesListTheDaysEvents(t *testing.T) {
	st, _ := fixture(t)
	srv := serve(t, st, Options{})
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/briefings/2026-11-23.json", []string{"ev-talks"}},
		{"/briefings/2026-11-22.json", []string{"ev-summit"}},
		{"/briefings/2026-11-21.json", []string{"ev-chip"}},
		{"/briefings/2026-11-20.json", nil},
		{"/topics/tech/briefings/2026-11-21.json", []string{"ev-chip"}},
		{"/topics/world/briefings/2026-11-21.json", nil},
	} {
		_, body, _ := get(t, srv.URL+tc.path)
		var v briefingView
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if got := lineIDs(v.Threads); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: events %v, want %v", tc.path, got, tc.want)
		}
	}
	_, body, _ := get(t, srv.URL+"/briefings/2026-11-23.json")
	if strings.Contains(body, "next_url") {
		t.Errorf("today's briefing links to a day to come:\n%s", body)
	}
	_, front, _ := get(t, srv.URL+"/")
	for _, id := range []string{"ev-talks", "ev-summit", "ev-chip"} {
		if !strings.Contains(front, "/events/"+id+".html") {
			t.Errorf("front page lacks %s", id)
		}
	}
}

// lineIDs lists the events of threads, in page order.
func lineIDs(ts []threadView) []string {
	var out []string
	for _, t := range ts {
		for _, e := range t.Events {
			out = append(out, e.ID)
		}
	}
	return out
}

type pinger struct{ err error }

func (p pinger) Ping(context.Context) error { return p.err }
func (pinger) WriteError() error            { return nil }
func (pinger) Events(context.Context, events.Query) ([]events.Event, error) {
	return nil, errors.New("unused")
}
func (pinger) EventWeights(context.Context, events.Query) ([]events.Event, error) {
	return nil, errors.New("unused")
}
func (pinger) Event(context.Context, string) (events.Event, []events.Relation, error) {
	return events.Event{}, nil, errors.New("unused")
}
func (pinger) Storyline(context.Context, string) (events.Storyline, []events.Event, error) {
	return events.Storyline{}, nil, errors.New("unused")
}
func (pinger) Storylines(context.Context, []string) (map[string]events.Storyline, error) {
	return nil, errors.New("unused")
}
func (pinger) Feeds(context.Context) ([]feeds.Feed, error) { return nil, errors.New("unused") }
func (pinger) FeedPage(context.Context, int, int) ([]feeds.Feed, int, error) {
	return nil, 0, errors.New("unused")
}

func TestHealthAndReadiness(t *testing.T) {
	for _, tc := range []struct {
		path    string
		err     error
		running bool
		want    int
		body    string
	}{
		{"/healthz", nil, true, 200, "ok"},
		{"/readyz", nil, true, 200, `"scheduler": "running"`},
		{"/readyz", errors.New("database is locked"), true, 503, "database is locked"},
		{"/readyz", nil, false, 503, `"scheduler": "stopped"`},
		{"/nope", nil, true, 404, ""},
	} {
		srv := httptest.NewServer(New(pinger{tc.err}, Options{SchedulerRunning: func() bool { return tc.running }}))
		code, body, _ := get(t, srv.URL+tc.path)
		srv.Close()
		if code != tc.want || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s (store error %v, scheduler %v): %d %q, want %d with %q", tc.path, tc.err, tc.running, code, body, tc.want, tc.body)
		}
	}
	// With instances sharing a database, /readyz says which one answers.
	for leader, want := range map[bool]string{true: `"role": "leader"`, false: `"role": "follower"`} {
		srv := httptest.NewServer(New(pinger{}, Options{Instance: func() (string, bool) { return "host-1-ab", leader }}))
		code, body, _ := get(t, srv.URL+"/readyz")
		srv.Close()
		if code != 200 || !strings.Contains(body, `"instance": "host-1-ab"`) || !strings.Contains(body, want) {
			t.Errorf("/readyz of a leader=%v instance: %d %s", leader, code, body)
		}
	}
}

// TestMetricsCountRequestsByRoute: /metrics is served and counts requests
// by route pattern, so one series covers every event page.
func TestMetricsCountRequestsByRoute(t *testing.T) {
	st, _ := fixture(t)
	m := metrics.New(nil, 0, nil)
	srv := serve(t, st, Options{Metrics: m, Recorder: m})
	for _, p := range []string{"/events/ev-talks.html", "/events/ev-summit.json", "/events/nope.html", "/all.rss", "/nope/nope"} {
		get(t, srv.URL+p)
	}
	code, body, h := get(t, srv.URL+"/metrics")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("/metrics: %d %s", code, h.Get("Content-Type"))
	}
	for _, line := range []string{
		`herald_http_requests_total{route="GET /events/{file}",status="200"} 2`,
		`herald_http_requests_total{route="GET /events/{file}",status="404"} 1`,
		`herald_http_requests_total{route="GET /all.rss",status="200"} 1`,
		`herald_http_requests_total{route="unmatched",status="404"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", line, body)
		}
	}
}

// TestOPMLListsOutputFeeds reads /opml back with Herald's own OPML reader:
// topics and storylines are folders of feeds.
func TestOPMLListsOutputFeeds(t *testing.T) {
	st, _ := fixture(t)
	srv := serve(t, st, Options{PublicURL: "https://herald.example"})
	_, body, _ := get(t, srv.URL+"/opml")
	list, _, err := feeds.ReadOPML(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range list {
		got = append(got, f.Topic+" "+f.URL)
	}
	want := []string{" https://herald.example/all.rss",
		"World news https://herald.example/topics/world.rss", "World news https://herald.example/topics/world/briefings.rss",
		"Technology https://herald.example/topics/tech.rss", "Technology https://herald.example/topics/tech/briefings.rss",
		// The storylines of the last three days with several events; sl-chip has one.
		"Storylines https://herald.example/storylines/sl-korea.rss"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("OPML feeds:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTimelineBuckets: an hour per bar for a young story, several hours
// per bar past three days, every source counted once.
func TestTimelineBuckets(t *testing.T) {
	for _, tc := range []struct {
		span       time.Duration
		step, bars int
	}{{2 * time.Hour, 1, 3}, {71 * time.Hour, 1, 72}, {10 * 24 * time.Hour, 4, 61}} {
		first := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		srcs := []events.Source{{Published: first.Add(tc.span)}, {Published: first}, {Published: first.Add(tc.span / 2)}}
		_, step, counts := buckets(srcs, first, first.Add(tc.span))
		total := 0
		for _, c := range counts {
			total += c
		}
		if step != tc.step || len(counts) != tc.bars || total != 3 || counts[0] != 1 || counts[len(counts)-1] != 1 {
			t.Errorf("span %v: step %d, %d bars %v, want step %d and %d bars", tc.span, step, len(counts), counts, tc.step, tc.bars)
		}
	}
	if svg := string(timeline(nil)); svg != "" {
		t.Errorf("timeline of no sources: %q", svg)
	}
}

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"Talks agreed.":                      "Talks agreed.",
		"5 < 6 and 7 > 3":                    "5 < 6 and 7 > 3",
		"<p>Talks &amp; <b>peace</b></p>":    "Talks & peace",
		"a<script>alert(1)</script>b":        "a b",
		"<style>p{}</style><p>x</p>\n\n  y":  "x y",
		`<img src=x onerror="alert(1)">text`: "text",
	} {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}

// Markdown pages escape what Markdown reads as markup and nothing else:
// names and abbreviations stay readable.
func TestMarkdownEscapesOnlyMarkup(t *testing.T) {
	for in, want := range map[string]string{
		"Kim Jong-un meets U.S. envoy (again)":  "Kim Jong-un meets U.S. envoy (again)",
		"*bold* [link](javascript:x) <b>hi</b>": `\*bold\* \[link\](javascript:x) \<b\>hi\</b\>`,
		"snake_case `code` a|b ~~gone~~":        `snake\_case \` + "`" + `code\` + "`" + ` a\|b \~\~gone\~\~`,
		"1. Not a list":                         `1\. Not a list`,
		"2026) a year":                          `2026\) a year`,
		"- not a bullet, + nor this":            `\- not a bullet, + nor this`,
		"# not a heading":                       `\# not a heading`,
		"Vote for #":                            `Vote for \#`,
		"We're #1":                              "We're #1",
		"AT&T &amp; &#169; co":                  `AT&T \&amp; \&#169; co`,
		"back\\slash":                           `back\\slash`,
		"two\nlines":                            "two lines",
	} {
		if got := mdEscape(in); got != want {
			t.Errorf("mdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// An event's context shows the names it is about: not its publishers'
// names (or parts of them), nor fragments of a longer name.
func TestContextNames(t *testing.T) {
	sources := []events.Source{
		{Publisher: "CNN International", Title: "Kim Jong-un's sister warns Seoul - CNN"},
		{Publisher: "BBC News", Title: "North Korea: Kim Jong-un's sister issues warning"},
	}
	names := []string{"North Korea", "CNN", "North", "Kim Jong", "Kim Yo Jong", "Yo", "BBC", "Seoul", "South Korea"}
	got := contextNames(names, sources)
	want := []string{"North Korea", "Kim Yo Jong", "Seoul", "South Korea"}
	if !slices.Equal(got, want) {
		t.Errorf("contextNames:\n got %v\nwant %v", got, want)
	}
	// A name written whole somewhere stays, even if elsewhere hyphenated.
	sources[1].Title = "Kim Jong in Pyongyang"
	if got := contextNames([]string{"Kim Jong"}, sources); !slices.Equal(got, []string{"Kim Jong"}) {
		t.Errorf("a name written whole: %v", got)
	}
	if got := contextNames(nil, sources); got == nil || len(got) != 0 {
		t.Errorf("no names: %#v, want an empty list", got)
	}
}
