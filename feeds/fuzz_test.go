package feeds

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxFuzzSeeds caps the shared corpus files a fuzz target starts from:
// enough to cover every format, few enough that the seeds run in seconds.
const maxFuzzSeeds = 200

// maxSeedBytes skips the few very large corpus files: a fuzzer mutating a
// megabyte body spends its time copying it.
const maxSeedBytes = 64 << 10

// fuzzSeed is one feed body and the Content-Type it is served with.
type fuzzSeed struct {
	body        []byte
	contentType string
}

// sharedSeeds picks up to maxFuzzSeeds files of the shared feed corpus,
// taking the formats of MANIFEST.tsv in turn (in manifest order within a
// format) so that the rare formats are not crowded out by Atom and RSS 2.0.
// Without the corpus it logs that and returns none: the hand-written seeds
// still run.
func sharedSeeds(tb testing.TB) []fuzzSeed {
	tb.Helper()
	cases, err := parseManifest()
	if err != nil {
		tb.Logf("fuzz: shared feed corpus not used (%v); starting from the hand-written seeds only", err)
		return nil
	}
	byFormat := map[string][]corpusCase{}
	var formats []string
	for _, c := range cases {
		if c.size > maxSeedBytes {
			continue
		}
		if byFormat[c.format] == nil {
			formats = append(formats, c.format)
		}
		byFormat[c.format] = append(byFormat[c.format], c)
	}
	var seeds []fuzzSeed
	for round := 0; len(seeds) < maxFuzzSeeds; round++ {
		added := false
		for _, format := range formats {
			if round >= len(byFormat[format]) || len(seeds) >= maxFuzzSeeds {
				continue
			}
			c := byFormat[format][round]
			body, err := os.ReadFile(filepath.Join(corpusDir, c.file))
			if err != nil {
				tb.Fatalf("manifest lists %s: %v", c.file, err)
			}
			seeds = append(seeds, fuzzSeed{body, c.contentType})
			added = true
		}
		if !added {
			break
		}
	}
	return seeds
}

// handSeeds are small documents of every format, and near misses.
var handSeeds = []fuzzSeed{
	{[]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://ex.com/</link>
<item><title>One &amp; two</title><link>/a?utm_source=x&amp;b=1#f</link><guid>g1</guid><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;Hi &lt;script&gt;x&lt;/script&gt;&lt;a href="javascript:x"&gt;l&lt;/a&gt;&lt;/p&gt;</description></item>
<item><title>Dup</title><guid>g1</guid></item></channel></rss>`), "application/rss+xml"},
	{[]byte(`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://ex.com/x/"><title type="html">&lt;b&gt;A&lt;/b&gt;</title>
<entry><id>urn:1</id><title>E</title><link href="../y"/><updated>2026-11-23T10:00:00Z</updated><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></content></entry></feed>`), ""},
	{[]byte(`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel><item><title>I</title><link>http://ex.com/i</link></item></rdf:RDF>`), "text/xml"},
	{[]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"J","home_page_url":"https://ex.com","items":[{"id":"1","url":"https://EX.com:443/p","title":"t","content_html":"<b>x</b>","date_published":"2026-11-23T10:00:00Z"}]}`), "application/feed+json"},
	{[]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><item><title>caf\xe9</title></item></channel></rss>"), "text/xml; charset=windows-1252"},
	{[]byte("<!DOCTYPE rss [<!ENTITY a \"aaaa\">]><rss><channel><item><title>&a;&#0;&#xD800;</title></item></channel></rss>"), ""},
	{[]byte("<html><head><title>Just a moment...</title></head></html>"), "text/html"},
	{[]byte("\xef\xbb\xbf  \n"), ""},
	{[]byte(`{"version":"https://jsonfeed.org/version/1","title":"a\u0001b","items":[{"id":"\u0000","title":"x\u0008y\ufffe","summary":"s\u001fs","url":"https://ex.com/\u0000"}]}`), ""},
}

// Parse never panics (not even inside gofeed, which Parse would turn into
// an error) and what it returns is fit to store: valid UTF-8, fields within
// their caps, canonical URLs that parse, dates no later than the fetch.
func FuzzParse(f *testing.F) {
	for _, s := range append(handSeeds, sharedSeeds(f)...) {
		f.Add(s.body, s.contentType)
	}
	fetchedAt := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	feed := Feed{URL: "https://feeds.example.com/news/rss.xml", Title: "Example"}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		doc, err := Parse(body, contentType, feed, fetchedAt)
		if errors.Is(err, errParserPanic) {
			t.Fatalf("Parse panicked: %v", err)
		}
		if err != nil {
			if doc != nil {
				t.Fatalf("Parse returned a document with the error %v", err)
			}
			return
		}
		checkText(t, "document title", doc.Title, maxTitleLen)
		checkPlain(t, "document title", doc.Title)
		checkURL(t, "site URL", doc.SiteURL)
		if len(doc.Items) > MaxItems {
			t.Fatalf("%d items, want at most %d", len(doc.Items), MaxItems)
		}
		for i, it := range doc.Items {
			checkItem(t, i, it, fetchedAt)
		}
	})
}

func checkItem(t *testing.T, i int, it Item, fetchedAt time.Time) {
	t.Helper()
	checkText(t, "title", it.Title, maxTitleLen)
	checkPlain(t, "title", it.Title)
	checkPlain(t, "author", it.Author)
	checkText(t, "summary", it.Summary, maxHTMLLen)
	checkText(t, "content", it.Content, maxHTMLLen)
	checkText(t, "text", it.Text, maxTextLen)
	checkText(t, "author", it.Author, maxAuthorLen)
	checkText(t, "source", it.Source, maxTitleLen)
	checkText(t, "lang", it.Lang, 64)
	checkURL(t, "item URL", it.URL)
	if it.GUID == "" || len(it.GUID) > maxGUIDLen {
		t.Fatalf("item %d: GUID %q is empty or longer than %d bytes", i, it.GUID, maxGUIDLen)
	}
	if it.Hash == "" {
		t.Fatalf("item %d has no content hash", i)
	}
	if it.Published.IsZero() || it.Published.After(fetchedAt) || it.Updated.Before(it.Published) || it.Updated.After(fetchedAt) {
		t.Fatalf("item %d: published %v, updated %v, fetched %v", i, it.Published, it.Updated, fetchedAt)
	}
	if strings.Contains(strings.ToLower(it.Summary+it.Content), "<script") {
		t.Fatalf("item %d: a script survived sanitizing: %q %q", i, it.Summary, it.Content)
	}
}

func checkText(t *testing.T, what, s string, limit int) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s is not valid UTF-8: %q", what, s)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return !isXMLChar(r) }); i >= 0 {
		t.Fatalf("%s has a character XML cannot carry at byte %d: %q", what, i, s)
	}
	if len(s) > limit {
		t.Fatalf("%s is %d bytes, want at most %d", what, len(s), limit)
	}
}

// checkPlain: a plain-text field holds nothing an HTML parser reads as an
// element, and no control or bidirectional-override character.
func checkPlain(t *testing.T, what, s string) {
	t.Helper()
	if i := strings.IndexFunc(s, isFormatting); i >= 0 {
		t.Fatalf("%s has a formatting character at byte %d: %q", what, i, s)
	}
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Type != html.TextNode {
			t.Fatalf("%s %q holds markup: a reader rendering it as HTML makes a %v node", what, s, n.Type)
		}
	}
}

// checkURL: a stored URL is empty or canonical, short and parsable.
func checkURL(t *testing.T, what, s string) {
	t.Helper()
	if s == "" {
		return
	}
	if len(s) > maxURLLen || !utf8.ValidString(s) {
		t.Fatalf("%s %q is too long or not UTF-8", what, s)
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		t.Fatalf("%s %q does not parse as an absolute http(s) URL: %v", what, s, err)
	}
	if c := CanonicalURL(s); c != s {
		t.Fatalf("%s %q is not canonical: CanonicalURL gives %q", what, s, c)
	}
}

// CanonicalURL never panics, its output is itself canonical (applying it
// twice changes nothing) and is an absolute http(s) URL that parses.
func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"https://Example.COM:443/a/./b/../c?utm_source=x&b=2&a=1&ref=rss#frag",
		"HTTP://user:pw@bücher.de./%7Efoo?x=1;y=2",
		"http://[::1]:8080/p?q",
		"http://[fe80::1%25en0]/",
		"//example.com/rel", "/only/path", "javascript:alert(1)", "mailto:a@b",
		"https://ex.com/" + strings.Repeat("a", 2100),
		"http://xn--nxasmq6b.com/?ref=feed-main&source=git",
		"http://a/..//b/%2e%2e/c", " https://ex.com ", "http://ex.com:/", "http://%41.com/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c := CanonicalURL(raw)
		if c == "" {
			return
		}
		checkURL(t, "CanonicalURL("+strconv.Quote(raw)+")", c)
	})
}
