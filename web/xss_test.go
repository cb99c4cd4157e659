package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"herald/events"
	"herald/feeds"
	"herald/store"
)

// The payloads a hostile feed might carry, stored as they are (not
// sanitized at ingest) to test the web side's own escaping.
const (
	jsURL   = "javascript:alert('url')"
	payload = `<script>alert(1)</script><img src=x onerror=alert(2)>"><svg onload=alert(3)>` +
		`<a href="javascript:alert(4)">x</a><style>*{background:url(javascript:alert(5))}</style>[md](javascript:alert(6))`
)

// TestNothingActiveGetsThrough serves events made of payloads, and a feed
// polled through the real poller, and checks every output format.
func TestNothingActiveGetsThrough(t *testing.T) {
	st := openStore(t)
	hostile := events.Event{ID: "ev-xss", Headline: "Headline " + payload, Summary: "Summary " + payload,
		FirstSeen: now.Add(-2 * time.Hour), LastUpdated: now.Add(-time.Hour), Size: 2, Topics: []string{"world"},
		Entities: []string{"Entity " + payload}, Sources: []events.Source{
			{Publisher: "Publisher " + payload, Title: "Title " + payload, URL: jsURL, Published: now.Add(-2 * time.Hour)},
			{Publisher: "P2", Title: "T2 " + payload, URL: "data:text/html,<script>alert(7)</script>", Published: now.Add(-time.Hour)},
		}}
	other := event("ev-other", "world", "A related event", now.AddDate(0, 0, -1), 1)
	seed(t, st, []events.Event{hostile, other}, map[string][]events.Relation{
		"ev-xss": {{EventID: "ev-other", Shared: []string{"Shared " + payload}}}})
	polled := pollFixture(t, st, "testdata/xss.rss")
	stored, err := st.Events(context.Background(), events.Query{IDs: polled})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range stored { // titles are stored as text, however the feed escaped them
		checkNoMarkup(t, "stored headline", ev.Headline)
		for _, src := range ev.Sources {
			checkNoMarkup(t, "stored title", src.Title)
			if strings.ContainsRune(src.Title, '\u202e') {
				t.Errorf("stored title %q keeps a right-to-left override", src.Title)
			}
		}
	}

	srv := serve(t, st, Options{Unsubscriber: fakeUnsub{}})
	paths := []string{"/", "/feeds", "/feeds.json", "/topics/world.html", "/opml", "/unsubscribe?token=" + url.QueryEscape(payload)}
	for _, id := range append([]string{"ev-xss"}, polled...) {
		for _, ext := range []string{"html", "json", "xml", "md"} {
			paths = append(paths, eventPath(id, ext))
		}
	}
	for _, ext := range []string{"html", "json", "xml", "md"} {
		paths = append(paths, briefingPath("", now, ext), briefingPath("world", now.AddDate(0, 0, -1), ext))
	}
	for _, ext := range []string{"rss", "atom", "json"} {
		paths = append(paths, "/topics/world."+ext, "/all."+ext, "/topics/world/briefings."+ext)
	}
	for _, p := range paths {
		code, body, h := get(t, srv.URL+p)
		if code != 200 && !strings.HasPrefix(p, "/unsubscribe") {
			t.Errorf("GET %s: %d", p, code)
			continue
		}
		if strings.HasPrefix(p, "/events/ev-xss") && !strings.Contains(body, "Headline") ||
			strings.HasPrefix(p, "/events/") && !strings.HasPrefix(p, "/events/ev-xss") && !strings.Contains(body, "Korea talks") {
			t.Errorf("GET %s: the hostile event's text is gone; it should be shown as text", p)
		}
		checkInert(t, p, h.Get("Content-Type"), body)
	}
}

// pollFixture serves a feed file on loopback, polls it with the real
// poller into st, clusters what it stored, and returns the event ids.
func pollFixture(t *testing.T, st *store.Store, file string) []string {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	feedSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(body)
	}))
	defer feedSrv.Close()
	ctx := context.Background()
	f, err := st.AddFeed(ctx, store.FeedSpec{URL: feedSrv.URL + "/xss.rss", Topic: "world"}, store.OriginCLI, now)
	if err != nil {
		t.Fatal(err)
	}
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} // the test feed server
	p := &feeds.Poller{Fetcher: &feeds.Fetcher{Allow: loopback}, Store: st, Now: func() time.Time { return now }}
	if res := p.PollOne(ctx, f); res.Err != nil || res.Saved.New == 0 {
		t.Fatalf("poll hostile feed: %+v", res)
	}
	return cluster(t, st)
}

// cluster runs the real deduplicator over the unplaced items and stores
// its decisions, as cmd/herald does; it returns the events touched.
func cluster(t *testing.T, st *store.Store) []string {
	t.Helper()
	ctx := context.Background()
	docs, err := st.UnclusteredDocs(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	c := events.New(events.DefaultOptions())
	var as []events.Assignment
	var evs []events.Event
	seen := map[string]bool{}
	for _, d := range docs {
		as = append(as, c.Add(d))
	}
	for _, a := range as {
		if ev, ok := c.Event(a.EventID); ok && !seen[ev.ID] {
			seen[ev.ID] = true
			evs = append(evs, ev)
		}
	}
	if err := st.SaveClustering(ctx, events.Clustering{Assignments: as, Events: evs}); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}
	return ids
}

// checkInert fails the test when body, served as ctype, could run anything.
func checkInert(t *testing.T, where, ctype, body string) {
	t.Helper()
	switch {
	case strings.HasPrefix(ctype, "text/html"):
		checkHTML(t, where, body, false)
	case strings.HasPrefix(ctype, "text/markdown"):
		checkMarkdown(t, where, body)
	case strings.Contains(ctype, "feed+json"):
		checkJSON(t, where, body, feedText)
	case strings.Contains(ctype, "json"):
		checkJSON(t, where, body, nil)
	case strings.Contains(ctype, "rss") || strings.Contains(ctype, "atom"):
		checkXML(t, where, body, feedHTML)
	case strings.Contains(ctype, "xml") || strings.Contains(ctype, "opml"):
		checkXML(t, where, body, nil)
	default:
		t.Errorf("%s: unexpected content type %q", where, ctype)
	}
}

// allowed are the elements Herald's own templates write; anything else
// in a page came from a feed.
var allowed = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "link": true, "style": true, "body": true,
	"a": true, "header": true, "nav": true, "ul": true, "ol": true, "li": true, "main": true, "article": true,
	"h1": true, "h2": true, "h3": true, "p": true, "span": true, "div": true, "section": true, "time": true, "footer": true,
	"svg": true, "desc": true, "rect": true, "text": true, "table": true, "caption": true, "thead": true,
	"tbody": true, "tr": true, "th": true, "td": true, "br": true, "form": true, "input": true, "button": true,
	"details": true, "summary": true,
}

// checkHTML parses an HTML document (or a fragment from a feed) and checks
// every element and attribute.
func checkHTML(t *testing.T, where, doc string, fragment bool) {
	t.Helper()
	var nodes []*html.Node
	if fragment {
		var err error
		nodes, err = html.ParseFragment(strings.NewReader(doc), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
	} else {
		root, err := html.Parse(strings.NewReader(doc))
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		nodes = []*html.Node{root}
	}
	styles := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if !allowed[n.Data] || fragment && (n.Data == "style" || n.Data == "svg" || n.Data == "form") {
				t.Errorf("%s: element <%s> got through", where, n.Data)
			}
			if n.Data == "style" {
				styles++
			}
			for _, a := range n.Attr {
				checkAttr(t, where, n.Data, a)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	if styles > 1 {
		t.Errorf("%s: %d <style> elements, want only Herald's own", where, styles)
	}
}

func checkAttr(t *testing.T, where, elem string, a html.Attribute) {
	t.Helper()
	name := strings.ToLower(a.Key)
	switch {
	case strings.HasPrefix(name, "on") || name == "style" || a.Namespace != "":
		t.Errorf("%s: <%s %s=%q> got through", where, elem, a.Key, a.Val)
	case name == "href" || name == "src" || name == "action" || name == "formaction":
		if elem == "link" && a.Val == "data:," {
			return // Herald's empty favicon
		}
		u, err := url.Parse(a.Val)
		if err != nil || u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https" {
			t.Errorf("%s: <%s %s=%q> is not an http(s) or relative link", where, elem, a.Key, a.Val)
		}
	}
}

// checkMarkdown: no raw HTML and no link but http(s) in Markdown output
// (text that only looks like a scheme, "javascript:", is inert).
func checkMarkdown(t *testing.T, where, md string) {
	t.Helper()
	checkMarkdownLinks(t, where, md)
}

// checkJSON walks a JSON document: URLs must be http(s), HTML fields must
// pass the fragment check, and text fields (a JSON Feed's titles) must
// hold no markup.
func checkJSON(t *testing.T, where, body string, text map[string]bool) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(k, c)
			}
		case []any:
			for _, c := range x {
				walk(key, c)
			}
		case string:
			if text[key] {
				checkNoMarkup(t, where+" "+key, x)
			}
			checkField(t, where, key, x, jsonHTML)
		}
	}
	walk("", v)
}

// checkXML walks an XML document the same way: element and attribute
// names say which text is a URL and which is HTML.
func checkXML(t *testing.T, where, body string, htmlFields map[string]bool) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(body))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			stack = append(stack, x.Name.Local)
			for _, a := range x.Attr {
				checkField(t, where, a.Name.Local, a.Value, nil)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				break
			}
			if key := stack[len(stack)-1]; htmlFields != nil && feedText[key] {
				checkNoMarkup(t, where+" "+key, string(x))
			} else {
				checkField(t, where, key, string(x), htmlFields)
			}
		}
	}
}

// Fields that readers render as HTML: in JSON (pages and JSON Feed, where
// summary is plain text) and in RSS and Atom. Page XML has none. Titles in
// feeds are text, but many readers render them as HTML too: they must hold
// no markup at all.
var (
	jsonHTML = map[string]bool{"content_html": true}
	feedHTML = map[string]bool{"encoded": true, "description": true, "content": true, "summary": true}
	feedText = map[string]bool{"title": true}
)

// checkNoMarkup fails when text, rendered as HTML, would make an element.
func checkNoMarkup(t *testing.T, where, text string) {
	t.Helper()
	nodes, err := html.ParseFragment(strings.NewReader(text), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, n := range nodes {
		if n.Type != html.TextNode {
			t.Errorf("%s: %q would be markup in a reader that renders titles as HTML", where, text)
			return
		}
	}
}

func checkField(t *testing.T, where, key, val string, htmlFields map[string]bool) {
	t.Helper()
	key = strings.ToLower(key)
	switch {
	case key == "url" || key == "link" || key == "href" || key == "xmlurl" || strings.HasSuffix(key, "_url") || key == "guid" && strings.Contains(val, "://"):
		if val == "" {
			return
		}
		if u, err := url.Parse(strings.TrimSpace(val)); err != nil || u.Scheme != "http" && u.Scheme != "https" {
			t.Errorf("%s: %s %q is not an http(s) URL", where, key, val)
		}
	case htmlFields[key]:
		checkHTML(t, where+" "+key, val, true)
	}
}
