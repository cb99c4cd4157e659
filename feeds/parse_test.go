package feeds

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
)

func TestParseDocumentAndHints(t *testing.T) {
	doc := parseFixture(t, "parse-hints.xml", Feed{URL: "https://feeds.example.net/news.xml"})
	if doc.Title != "Hints & Co" || doc.SiteURL != "https://news.example.com/" || doc.Lang != "en-US" {
		t.Errorf("document %q %q %q", doc.Title, doc.SiteURL, doc.Lang)
	}
	want := Hints{
		TTL:         90 * time.Minute,
		SkipHours:   []int{0, 1, 3},
		SkipDays:    []time.Weekday{time.Sunday, time.Saturday},
		UpdateEvery: 6 * time.Hour,
	}
	got := doc.Hints
	if got.TTL != want.TTL || !slices.Equal(got.SkipHours, want.SkipHours) ||
		!slices.Equal(got.SkipDays, want.SkipDays) || got.UpdateEvery != want.UpdateEvery {
		t.Errorf("hints %+v, want %+v", got, want)
	}
	// A relative item link resolves against the site, not the feed host.
	if got := doc.Items[0].URL; got != "https://news.example.com/2026/11/one" {
		t.Errorf("item URL %q", got)
	}
}

func TestUpdateEvery(t *testing.T) {
	sy := func(period, freq string) ext.Extensions {
		m := map[string][]ext.Extension{}
		if period != "" {
			m["updatePeriod"] = []ext.Extension{{Value: period}}
		}
		if freq != "" {
			m["updateFrequency"] = []ext.Extension{{Value: freq}}
		}
		return ext.Extensions{"sy": m}
	}
	tests := []struct {
		period, freq string
		want         time.Duration
	}{
		{"hourly", "", time.Hour},
		{"hourly", "2", 30 * time.Minute},
		{"Daily", "1", 24 * time.Hour},
		{"", "2", 12 * time.Hour},
		{"weekly", "0", 7 * 24 * time.Hour},
		{"yearly", "", maxHint},
		{"fortnightly", "1", 0},
		{"", "", 0},
	}
	for _, tt := range tests {
		if got := updateEvery(sy(tt.period, tt.freq)); got != tt.want {
			t.Errorf("updateEvery(%q, %q) = %v, want %v", tt.period, tt.freq, got, tt.want)
		}
	}
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		name, body, wantTitle, wantURL string
	}{
		{"RSS 2.0", `<rss version="2.0"><channel><title>R</title><item><title>i</title><link>https://e.com/r</link></item></channel></rss>`, "i", "https://e.com/r"},
		{"RSS 1.0", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel><item><title>i</title><link>https://e.com/rdf</link></item></rdf:RDF>`, "i", "https://e.com/rdf"},
		{"Atom", `<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><title type="html">&lt;b&gt;i&lt;/b&gt;</title><link href="https://e.com/a"/><id>x</id></entry></feed>`, "i", "https://e.com/a"},
		{"JSON Feed", `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"i","url":"https://e.com/j"}]}`, "i", "https://e.com/j"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse([]byte(tt.body), "", Feed{URL: "https://e.com/feed"}, testFetchedAt)
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Items) != 1 || doc.Items[0].Title != tt.wantTitle || doc.Items[0].URL != tt.wantURL {
				t.Errorf("items %+v", doc.Items)
			}
		})
	}
}

func TestParseNotAFeed(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		want                    error
		wantMsg                 string
	}{
		{"empty", "", "", ErrEmptyBody, "empty body"},
		{"white space", " \r\n\t ", "text/xml", ErrEmptyBody, "empty body"},
		{"bot challenge", "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>", "text/html; charset=utf-8",
			ErrNotFeed, `an HTML page titled "Just a moment..." (Content-Type text/html; charset=utf-8)`},
		{"html without doctype", "\n<html><body>Sorry</body></html>", "", ErrNotFeed, "an HTML page"},
		{"other XML", `<?xml version="1.0"?><note><to>x</to></note>`, "", ErrNotFeed, "XML with root <note>"},
		{"plain text", "Service Unavailable", "text/plain", ErrNotFeed, `content starting with "Service Unavailable"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Parse([]byte(tt.body), tt.contentType, Feed{}, testFetchedAt)
			if !errors.Is(err, tt.want) || doc != nil {
				t.Fatalf("got %v, %v; want %v", doc, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestParseTruncatedFeedFails(t *testing.T) {
	body := `<rss version="2.0"><channel><title>T</title><item><title>one</title></item><item><title>tw`
	if doc, err := Parse([]byte(body), "", Feed{}, testFetchedAt); err == nil {
		t.Errorf("a truncated feed parsed into %d items; it must fail, not half-ingest", len(doc.Items))
	}
}

func TestCatchPanicTurnsPanicIntoError(t *testing.T) {
	doc, err := catchPanic(func() (*Document, error) { panic("boom") })
	if doc != nil || !errors.Is(err, errParserPanic) || !strings.Contains(err.Error(), "boom") {
		t.Errorf("got %v, %v", doc, err)
	}
}

// timed fails the test if parse takes longer than limit.
func timed(t *testing.T, limit time.Duration, parse func() (*Document, error)) (*Document, error) {
	t.Helper()
	start := time.Now()
	doc, err := parse()
	if d := time.Since(start); d > limit {
		t.Errorf("took %v, limit %v", d, limit)
	}
	return doc, err
}

func TestParseHostileBillionLaughs(t *testing.T) {
	var subset strings.Builder
	subset.WriteString(`<!ENTITY lol0 "lol">`)
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&subset, `<!ENTITY lol%d "%s">`, i, strings.Repeat(fmt.Sprintf("&lol%d;", i-1), 10))
	}
	body := `<?xml version="1.0"?><!DOCTYPE rss [` + subset.String() + `<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
		`<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;&xxe;</title><link>https://e.com/1</link></item></channel></rss>`
	doc, err := timed(t, time.Second, func() (*Document, error) { return Parse([]byte(body), "", Feed{}, testFetchedAt) })
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Items) != 1 || len(doc.Title) > 100 || len(doc.Items[0].Title) > 100 || strings.Contains(doc.Items[0].Title, "root:") {
		t.Errorf("entities were expanded: title %q, item %+v", truncate(doc.Title, 100), doc.Items)
	}
}

func TestStripDTD(t *testing.T) {
	tests := []struct{ in, want string }{
		{`<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "]>">]><rss/>`, `<?xml version="1.0"?><rss/>`},
		{`<!-- c --><!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss/>`, `<!-- c --><rss/>`},
		{`<!DOCTYPE x [<!-- it's ] > tricky --><!ENTITY b 'x'>]><rss/>`, `<rss/>`},
		{`<rss><![CDATA[<!DOCTYPE html>]]></rss>`, `<rss><![CDATA[<!DOCTYPE html>]]></rss>`},
		{`<rss/>`, `<rss/>`},
	}
	for _, tt := range tests {
		if got := string(stripDTD([]byte(tt.in))); got != tt.want {
			t.Errorf("stripDTD(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// detectType looks at a short window when it can; its answer must be
// gofeed's on the whole window.
func TestDetectTypeMatchesGofeed(t *testing.T) {
	inputs := []string{
		`<?xml version="1.0"?><rss version="2.0"><channel/></rss>`,
		`<!-- a comment --><feed xmlns="http://www.w3.org/2005/Atom"></feed>`,
		`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>`,
		`<rss title="a > b" version="2.0"><channel/></rss>`, // '>' in an attribute
		`  {"version": "https://jsonfeed.org/version/1.1", "title": "<b>x</b>"}`,
		`<!doctype html><html><head><title>Not a feed</title></head></html>`,
		`<rss`,
		`plain text`,
	}
	for _, in := range inputs {
		if got, want := detectType([]byte(in)), gofeed.DetectFeedType(strings.NewReader(in)); got != want {
			t.Errorf("detectType(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParseHostileDeepNesting(t *testing.T) {
	const levels = 100_000
	deep := strings.Repeat("<a>", levels) + strings.Repeat("</a>", levels)
	tests := []struct{ name, body string }{
		{"in channel", `<rss version="2.0"><channel>` + deep + `</channel></rss>`},
		{"in extension", `<rss version="2.0" xmlns:x="http://x/"><channel><item>` + strings.ReplaceAll(deep, "a>", "x:a>") + `</item></channel></rss>`},
		{"unclosed", `<feed xmlns="http://www.w3.org/2005/Atom"><entry>` + strings.Repeat("<a>", levels)},
		{"as root", deep},
		{"JSON arrays", `{"version":"https://jsonfeed.org/version/1.1","items":` + strings.Repeat("[", levels) + strings.Repeat("]", levels) + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := timed(t, 2*time.Second, func() (*Document, error) { return Parse([]byte(tt.body), "", Feed{}, testFetchedAt) })
			if err == nil || errors.Is(err, errParserPanic) {
				t.Errorf("got %v, want a clear error", err)
			}
		})
	}
}

func TestTooDeepIgnoresMarkupInText(t *testing.T) {
	tags := strings.Repeat("<br>", 2*maxDepth)
	body := `<rss><channel><item><description><![CDATA[` + tags + `]]></description></item><!-- ` + tags + ` --></channel></rss>`
	if tooDeep([]byte(body), maxDepth) {
		t.Error("tags inside CDATA and comments counted as nesting")
	}
	if !tooDeep([]byte(strings.Repeat("<a>", maxDepth+1)), maxDepth) {
		t.Error("nesting over the limit not detected")
	}
	if tooDeep([]byte(strings.Repeat("<a/>", 2*maxDepth)), maxDepth) {
		t.Error("self-closing tags counted as nesting")
	}
}

func TestParseHostileHugeItem(t *testing.T) {
	huge := strings.Repeat("<p>Lorem ipsum dolor sit amet.</p>", 5<<20/34) // about 5 MB
	body := `<rss version="2.0"><channel><item><title>` + strings.Repeat("T", 100<<10) + `</title>` +
		`<link>https://e.com/` + strings.Repeat("p", 8<<10) + `</link><guid>g</guid>` +
		`<description><![CDATA[` + huge + `]]></description></item></channel></rss>`
	doc, err := timed(t, 3*time.Second, func() (*Document, error) { return Parse([]byte(body), "", Feed{}, testFetchedAt) })
	if err != nil {
		t.Fatal(err)
	}
	it := doc.Items[0]
	if len(it.Title) > maxTitleLen || len(it.Summary) > maxHTMLLen || len(it.Text) > maxTextLen || it.URL != "" {
		t.Errorf("caps not applied: title %d, summary %d, text %d, URL %d bytes",
			len(it.Title), len(it.Summary), len(it.Text), len(it.URL))
	}
	if !strings.HasSuffix(it.Summary, "</p>") {
		t.Errorf("truncated summary ends %q", it.Summary[len(it.Summary)-20:])
	}
}

func TestParseHostileBytes(t *testing.T) {
	tests := []struct{ name, title, want string }{
		{"invalid UTF-8 among valid", "Café – \xff ok", "Café – \uFFFD ok"},
		{"Latin-1 bytes labelled UTF-8", "Caf\xe9 ok", "Café ok"},
		{"raw control characters", "bell\x07 back\x08 nul\x00 ok", "bell back nul ok"},
		{"control character references", "form&#12;feed &#x1B;esc ok", "formfeed esc ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>` +
				`<item><title>` + tt.title + `</title><link>https://e.com/1</link></item>` +
				`<item><title>second</title><link>https://e.com/2</link></item></channel></rss>`
			doc, err := Parse([]byte(body), "text/xml; charset=utf-8", Feed{}, testFetchedAt)
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Items) != 2 || doc.Items[0].Title != tt.want {
				t.Errorf("items %+v, want first title %q", doc.Items, tt.want)
			}
		})
	}
}

func TestParseDoesNotPanicOnOddTranslations(t *testing.T) {
	// Nil items and authors must not reach a nil dereference.
	items := normalizeItems([]*gofeed.Item{nil, {Title: "x", Authors: []*gofeed.Person{nil}}}, nil, "", "", testFetchedAt, nil, nil)
	if len(items) != 1 {
		t.Errorf("got %d items, want 1", len(items))
	}
}
