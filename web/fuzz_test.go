package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"herald/events"
	"herald/feeds"
)

// memStore serves a fixed set of events from memory. The fuzz target
// renders thousands of events a second, which a database would slow to a
// crawl; the real store's path is what TestNothingActiveGetsThrough covers.
type memStore struct {
	evs   []events.Event
	rels  []events.Relation
	story events.Storyline // every event's storyline
}

func (m *memStore) Ping(context.Context) error                  { return nil }
func (m *memStore) WriteError() error                           { return nil }
func (m *memStore) Feeds(context.Context) ([]feeds.Feed, error) { return nil, nil }
func (m *memStore) FeedPage(context.Context, int, int) ([]feeds.Feed, int, error) {
	return nil, 0, nil
}

func (m *memStore) EventWeights(ctx context.Context, q events.Query) ([]events.Event, error) {
	return m.Events(ctx, q)
}

func (m *memStore) Events(_ context.Context, q events.Query) ([]events.Event, error) {
	var out []events.Event
	for _, ev := range m.evs {
		if len(q.IDs) == 0 || slices.Contains(q.IDs, ev.ID) {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (m *memStore) Event(_ context.Context, id string) (events.Event, []events.Relation, error) {
	for _, ev := range m.evs {
		if ev.ID == id {
			return ev, m.rels, nil
		}
	}
	return events.Event{}, nil, fmt.Errorf("event %s: %w", id, ErrNotFound)
}

func (m *memStore) Storyline(_ context.Context, id string) (events.Storyline, []events.Event, error) {
	if id != m.story.ID {
		return events.Storyline{}, nil, fmt.Errorf("storyline %s: %w", id, ErrNotFound)
	}
	return m.story, m.evs, nil
}

func (m *memStore) Storylines(_ context.Context, ids []string) (map[string]events.Storyline, error) {
	out := map[string]events.Storyline{}
	if slices.Contains(ids, m.story.ID) {
		out[m.story.ID] = m.story
	}
	return out, nil
}

// fuzzPaths are the outputs an event's text reaches: its page in four
// formats, its storyline's page and feeds, the front page, a briefing and
// the topic's feeds.
var fuzzPaths = []string{
	"/events/ev-fuzz.html", "/events/ev-fuzz.json", "/events/ev-fuzz.xml", "/events/ev-fuzz.md",
	"/storylines/sl-fuzz.html", "/storylines/sl-fuzz.xml", "/storylines/sl-fuzz.md",
	"/storylines/sl-fuzz.rss", "/storylines/sl-fuzz.atom", "/storylines/sl-fuzz.json",
	"/", "/briefings/2026-11-23.html", "/briefings/2026-11-23.md",
	"/topics/world.rss", "/topics/world.atom", "/topics/world.json",
}

var scriptHref = regexp.MustCompile(`(?i)(href|src)\s*=\s*["']?\s*(javascript|vbscript):`) // data: is checkAttr's (Herald's favicon is one)

// Whatever text an event carries (headline, summary, publisher, title,
// link, names), every page and feed of it renders, and none can run
// anything: no script element, no javascript: link, well-formed JSON and
// XML, no raw HTML in Markdown (the checks of xss_test.go).
func FuzzEventPage(f *testing.F) {
	for _, s := range []string{"Korea talks resume", payload, jsURL, "data:text/html,<script>alert(7)</script>",
		"]]><x>&amp;\x00\xff\ufffe", "[md](javascript:alert(6)) <http://a> `x` *y*", "https://news.example/a?b=1&c=<d>"} {
		f.Add(s, "Summary "+s, "Publisher "+s, s, "https://news.example/"+s)
	}
	f.Add("h", "s", "p", "t", " JaVaScRiPt:alert(1)")
	f.Add("h", "s", "p", "t", "//evil.example/x")
	st := &memStore{}
	h := New(st, Options{Topics: testTopics, Now: func() time.Time { return now }})
	f.Fuzz(func(t *testing.T, headline, summary, publisher, title, link string) {
		for _, s := range []string{headline, summary, publisher, title, link} {
			if !storable(s) {
				return
			}
		}
		link = storedLink(link)
		ev := events.Event{ID: "ev-fuzz", Headline: headline, Summary: summary, Size: 2, Topics: []string{"world"}, Storyline: "sl-fuzz",
			FirstSeen: now.Add(-2 * time.Hour), LastUpdated: now.Add(-time.Hour), Entities: []string{title, publisher},
			Sources: []events.Source{
				{Publisher: publisher, Title: title, URL: link, Published: now.Add(-2 * time.Hour)},
				{Publisher: "Wire", Title: headline, URL: storedLink("https://wire.example/" + link), Published: now.Add(-time.Hour)},
			}}
		other := event("ev-other", "world", summary, now.AddDate(0, 0, -1), 1)
		other.Storyline = "sl-fuzz"
		st.evs, st.rels = []events.Event{other, ev}, []events.Relation{{EventID: "ev-other", Shared: []string{headline}}}
		st.story = events.Storyline{ID: "sl-fuzz", Name: title, Events: []string{other.ID, ev.ID}, Size: 3,
			FirstSeen: other.FirstSeen, LastUpdated: ev.LastUpdated, Entities: []string{publisher, headline}}
		for _, p := range fuzzPaths {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "http://herald.test"+p, nil))
			body, ctype := rec.Body.String(), rec.Header().Get("Content-Type")
			if rec.Code != 200 {
				t.Fatalf("GET %s: %d %s", p, rec.Code, body)
			}
			if strings.HasPrefix(ctype, "text/html") {
				if strings.Contains(strings.ToLower(body), "<script") || scriptHref.MatchString(body) {
					t.Fatalf("GET %s: a script or script link got through:\n%s", p, body)
				}
			}
			if strings.HasPrefix(ctype, "text/markdown") {
				checkMarkdownLinks(t, p, body)
			} else {
				checkInert(t, p, ctype, body)
			}
			if t.Failed() {
				t.FailNow()
			}
		}
	})
}

// storable: the store holds only text feeds.Parse produced, which FuzzParse
// checks is valid UTF-8 made of characters XML can carry.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool {
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF || unicode.Is(unicode.Cs, r)
	}) < 0
}

// checkMarkdownLinks is checkMarkdown for arbitrary text: escaped text
// ("javascript\:") is harmless, so it checks what Markdown would make
// active: no raw '<' but an http(s) autolink, and every link's destination
// (after an unescaped "](") an http(s) URL.
func checkMarkdownLinks(t *testing.T, where, md string) {
	t.Helper()
	for i := 0; i < len(md); i++ {
		escaped := i > 0 && md[i-1] == '\\'
		rest := md[i:]
		switch {
		case escaped:
		case rest[0] == '<' && !strings.HasPrefix(rest, "<http://") && !strings.HasPrefix(rest, "<https://"):
			t.Fatalf("%s: raw '<' in Markdown: %q", where, rest[:min(len(rest), 40)])
		case strings.HasPrefix(rest, "]("):
			dest := strings.TrimPrefix(rest[2:], "<")
			if !strings.HasPrefix(dest, "http://") && !strings.HasPrefix(dest, "https://") {
				t.Fatalf("%s: a Markdown link to %q", where, dest[:min(len(dest), 40)])
			}
		}
	}
}

// storedLink is link as the store would hold it: feeds keeps the canonical
// form of an http(s) link and drops one it cannot canonicalize. Anything
// else (javascript:, data:, relative) is kept as it is: web must refuse to
// link it by itself.
func storedLink(link string) string {
	if c := feeds.CanonicalURL(link); c != "" {
		return c
	}
	if u, err := url.Parse(strings.TrimSpace(link)); err == nil && (strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")) {
		return ""
	}
	return link
}
