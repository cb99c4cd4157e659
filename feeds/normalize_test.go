package feeds

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func parseFixture(t *testing.T, name string, feed Feed) *Document {
	t.Helper()
	body, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(body, "application/rss+xml", feed, testFetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestNormalizeGUIDFallback(t *testing.T) {
	doc := parseFixture(t, "norm-guids.xml", Feed{URL: "https://example.com/feed"})
	date := func(s string) string {
		d, err := time.Parse(time.RFC1123, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.UTC().Format(time.RFC3339)
	}
	d1, d2, d3 := date("Mon, 02 Nov 2026 10:00:00 GMT"), date("Tue, 03 Nov 2026 10:00:00 GMT"), date("Wed, 04 Nov 2026 10:00:00 GMT")
	d5 := date("Thu, 05 Nov 2026 10:00:00 GMT")
	want := map[string]string{
		"guid that is a link":     "https://example.com/taken",
		"link taken by a guid":    hashKey("https://example.com/taken", d5),
		"unique guid":             "tag:example.com,2026:1",
		"dup guid A":              "https://example.com/a",
		"dup guid B":              "https://example.com/b",
		"same link, first":        hashKey("https://example.com/same", d1),
		"same link, second":       hashKey("https://example.com/same", d2),
		"same link and date, one": hashKey("https://example.com/twin", d3, "same link and date, one"),
		"same link and date, two": hashKey("https://example.com/twin", d3, "same link and date, two"),
		"repeated":                hashKey("https://example.com/rep", "", "repeated"),
		"origLink preferred":      "https://example.com/story",
	}
	if len(doc.Items) != len(want)+1 { // "repeated" twice
		t.Fatalf("got %d items, want %d", len(doc.Items), len(want)+1)
	}
	for _, it := range doc.Items {
		if it.GUID != want[it.Title] {
			t.Errorf("%q: GUID %q, want %q", it.Title, it.GUID, want[it.Title])
		}
	}
}

func TestNormalizeGUIDIsStableAcrossFetches(t *testing.T) {
	// Without dates, the fetch time fills Published; it must not leak into
	// identity keys, or every poll would store the items again.
	body := []byte(`<rss><channel><item><title>a</title><link>https://e.com/x</link></item>
		<item><title>b</title><link>https://e.com/x</link></item></channel></rss>`)
	first, err := Parse(body, "", Feed{}, testFetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Parse(body, "", Feed{}, testFetchedAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i := range first.Items {
		if first.Items[i].GUID != second.Items[i].GUID {
			t.Errorf("item %d: GUID %q then %q", i, first.Items[i].GUID, second.Items[i].GUID)
		}
	}
	if first.Items[0].GUID == first.Items[1].GUID {
		t.Error("items with different titles share a GUID")
	}
}

func TestNormalizeItemFields(t *testing.T) {
	doc := parseFixture(t, "norm-guids.xml", Feed{URL: "https://example.com/feed", Title: "Example Wire"})
	var it Item
	for _, x := range doc.Items {
		if x.Title == "origLink preferred" {
			it = x
		}
	}
	if it.URL != "https://example.com/story" {
		t.Errorf("URL %q, want the feedburner:origLink without its fragment", it.URL)
	}
	if it.Author != "Jane Doe" {
		t.Errorf("Author %q, want the dc:creator", it.Author)
	}
	if it.Source != "Example Wire" {
		t.Errorf("Source %q, want the feed's title", it.Source)
	}
	if !it.Published.Equal(testFetchedAt) || !it.Updated.Equal(testFetchedAt) {
		t.Errorf("dates %v %v, want the fetch time for an undated item", it.Published, it.Updated)
	}
	doc = parseFixture(t, "norm-guids.xml", Feed{URL: "https://example.com/feed"})
	if got := doc.Items[0].Source; got != "GUID cases" {
		t.Errorf("Source %q, want the document title when the feed has none", got)
	}
	for _, it := range doc.Items {
		if it.Title == "dup guid A" && it.URL != "https://example.com/a" {
			t.Errorf("URL %q, want tracking parameters dropped", it.URL)
		}
	}
}

func TestItemDates(t *testing.T) {
	fetched := testFetchedAt
	past := fetched.Add(-48 * time.Hour)
	later := fetched.Add(-24 * time.Hour)
	future := fetched.Add(72 * time.Hour)
	tests := []struct {
		name                 string
		published, updated   time.Time
		wantPub, wantUpdated time.Time
	}{
		{"both set", past, later, past, later},
		{"missing published uses updated", time.Time{}, later, later, later},
		{"missing both", time.Time{}, time.Time{}, fetched, fetched},
		{"future published", future, time.Time{}, fetched, fetched},
		{"future updated", past, future, past, fetched},
		{"updated before published", later, past, later, later},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, upd := itemDates(tt.published, tt.updated, fetched)
			if !pub.Equal(tt.wantPub) || !upd.Equal(tt.wantUpdated) {
				t.Errorf("got %v, %v; want %v, %v", pub, upd, tt.wantPub, tt.wantUpdated)
			}
		})
	}
}

func TestValidDate(t *testing.T) {
	epoch := time.Unix(0, 0)
	cet := time.Date(2026, 11, 3, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	if got := validDate(&epoch); !got.IsZero() {
		t.Errorf("epoch date kept as %v", got)
	}
	if got := validDate(nil); !got.IsZero() {
		t.Errorf("nil date gave %v", got)
	}
	if got := validDate(&cet); got.Location() != time.UTC || got.Hour() != 9 {
		t.Errorf("validDate(%v) = %v, want 09:00 UTC", cet, got)
	}
}

func TestParseDatesFromFeed(t *testing.T) {
	body := []byte(`<rss version="2.0"><channel>
	<item><title>future</title><link>https://e.com/1</link><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item>
	<item><title>unparsable</title><link>https://e.com/2</link><pubDate>3rd November 2026</pubDate></item>
	<item><title>epoch</title><link>https://e.com/3</link><pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>
	<item><title>fine</title><link>https://e.com/4</link><pubDate>Tue, 03 Nov 2026 10:00:00 CET</pubDate></item>
	</channel></rss>`)
	doc, err := Parse(body, "", Feed{}, testFetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{testFetchedAt, testFetchedAt, testFetchedAt, time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)}
	for i, it := range doc.Items {
		if !it.Published.Equal(want[i]) {
			t.Errorf("%s: Published %v, want %v", it.Title, it.Published, want[i])
		}
	}
}

func TestContentHash(t *testing.T) {
	h := contentHash("Title", "Text", "https://e.com/1")
	if len(h) != 32 {
		t.Errorf("hash %q, want 32 hex digits", h)
	}
	for _, other := range []string{
		contentHash("Title!", "Text", "https://e.com/1"),
		contentHash("Title", "Text!", "https://e.com/1"),
		contentHash("Title", "Text", "https://e.com/2"),
		contentHash("TitleText", "", "https://e.com/1"),
	} {
		if other == h {
			t.Errorf("an edit kept the hash %q", h)
		}
	}
	if contentHash("Title", "Text", "https://e.com/1") != h {
		t.Error("hash is not deterministic")
	}
}

func TestNormalizeLang(t *testing.T) {
	tests := map[string]string{"en-us": "en-US", " EN ": "en", "pt_BR": "pt-BR", "": "", "not a language!": ""}
	for in, want := range tests {
		if got := normalizeLang(in); got != want {
			t.Errorf("normalizeLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestItemLinkFallbacks(t *testing.T) {
	tests := []struct {
		name string
		item gofeed.Item
		want string
	}{
		{"link", gofeed.Item{Link: " https://e.com/a "}, "https://e.com/a"},
		{"links", gofeed.Item{Links: []string{"", "https://e.com/b"}}, "https://e.com/b"},
		{"permalink guid", gofeed.Item{GUID: "https://e.com/c"}, "https://e.com/c"},
		{"opaque guid", gofeed.Item{GUID: "urn:uuid:1"}, ""},
	}
	for _, tt := range tests {
		if got := itemLink(&tt.item); got != tt.want {
			t.Errorf("%s: itemLink = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNormalizeCapsHugeFields(t *testing.T) {
	long := strings.Repeat("x", 10*maxGUIDLen)
	items := normalizeItems([]*gofeed.Item{{
		GUID:    long,
		Title:   strings.Repeat("t", 5*maxTitleLen),
		Authors: []*gofeed.Person{{Name: strings.Repeat("a", 5*maxAuthorLen)}},
	}}, nil, "", "", testFetchedAt, nil, nil)
	it := items[0]
	if !strings.HasPrefix(it.GUID, "h:") || len(it.Title) > maxTitleLen || len(it.Author) > maxAuthorLen {
		t.Errorf("caps not applied: GUID %d bytes, title %d, author %d", len(it.GUID), len(it.Title), len(it.Author))
	}
}

func TestNormalizeDropsRepeatedContent(t *testing.T) {
	body := []byte(`<rss xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><item><title>t</title>
		<description>&lt;p&gt;Same&lt;/p&gt;</description><content:encoded><![CDATA[<p>Same</p>]]></content:encoded></item>
		<item><title>u</title><description>Teaser</description><content:encoded><![CDATA[<p>Full</p>]]></content:encoded></item></channel></rss>`)
	doc, err := Parse(body, "", Feed{}, testFetchedAt)
	if err != nil {
		t.Fatal(err)
	}
	if it := doc.Items[0]; it.Summary != "<p>Same</p>" || it.Content != "" || it.Text != "Same" {
		t.Errorf("repeated content: %+v", it)
	}
	if it := doc.Items[1]; it.Summary != "Teaser" || it.Content != "<p>Full</p>" || it.Text != "Teaser\nFull" {
		t.Errorf("distinct content: %+v", it)
	}
}
