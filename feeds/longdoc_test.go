package feeds

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

// longDoc writes a document of n items in one of the formats eachItem
// knows, with the traps a byte-level split must step over: markup in
// comments and CDATA, a nested item-like element, channel elements after
// the items. Item i is dated i minutes after a base, so the newest are last.
func longDoc(format string, n int) string {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	switch format {
	case "rss":
		b.WriteString(`<?xml version="1.0"?><!-- <item> in a comment --><rss version="2.0"><channel><title>Long RSS</title><ttl>90</ttl>`)
	case "rdf":
		b.WriteString(`<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Long RDF</title></channel>`)
	case "atom":
		b.WriteString(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Long Atom</title><id>urn:long</id>`)
	}
	for i := range n {
		date := base.Add(time.Duration(i) * time.Minute)
		switch format {
		case "rss":
			fmt.Fprintf(&b, `<item><title>Story %d</title><guid>s%d</guid><pubDate>%s</pubDate>`+
				`<description><![CDATA[<item>not one</item> <p>text %d</p>]]></description><x:item xmlns:x="urn:x">nested</x:item></item>`,
				i, i, date.Format(time.RFC1123Z), i)
		case "rdf":
			fmt.Fprintf(&b, `<item rdf:about="http://long.example/%d"><title>Story %d</title><link>http://long.example/%d</link><dc:date>%s</dc:date></item>`,
				i, i, i, date.Format(time.RFC3339))
		case "atom":
			fmt.Fprintf(&b, `<entry><title>Story %d</title><id>urn:s:%d</id><updated>%s</updated><content type="html">&lt;item&gt;</content></entry>`,
				i, i, date.Format(time.RFC3339))
		}
		if i == n/2 {
			b.WriteString("<!-- </item> --><?pi <item>?>")
		}
	}
	switch format {
	case "rss":
		b.WriteString(`<language>en</language></channel></rss>`)
	case "rdf":
		b.WriteString(`</rdf:RDF>`)
	case "atom":
		b.WriteString(`</feed>`)
	}
	return b.String()
}

func titles(items []*gofeed.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.Title
	}
	return out
}

// TestParseInSlicesMatchesWholeParse: a long document parsed in slices
// keeps the same items, feed fields and hints as the whole document parsed
// at once and cut afterwards.
func TestParseInSlicesMatchesWholeParse(t *testing.T) {
	for _, format := range []string{"rss", "rdf", "atom"} {
		t.Run(format, func(t *testing.T) {
			b := []byte(longDoc(format, 2*MaxItems+345))
			if n := countItems(b).n; n != 2*MaxItems+345 {
				t.Fatalf("countItems found %d items, want %d", n, 2*MaxItems+345)
			}
			whole, wholeHints, err := parseFormat(b, "")
			if err != nil {
				t.Fatal(err)
			}
			want, wantDropped := newestItems(whole.Items, MaxItems)
			sliced, hints, dropped, err := parseInSlices(b, "", countItems(b))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(titles(sliced.Items), titles(want)) || dropped != wantDropped {
				t.Errorf("sliced parse kept %d items (%v ... ), dropped %d; whole parse keeps %d (%v ...), drops %d",
					len(sliced.Items), titles(sliced.Items)[:3], dropped, len(want), titles(want)[:3], wantDropped)
			}
			if sliced.Title != whole.Title || sliced.Language != whole.Language ||
				hints.TTL != wholeHints.TTL {
				t.Errorf("sliced parse: title %q, language %q, ttl %v; whole: %q, %q, %v",
					sliced.Title, sliced.Language, hints.TTL, whole.Title, whole.Language, wholeHints.TTL)
			}
			if want[0].Title != fmt.Sprintf("Story %d", MaxItems+345) {
				t.Errorf("the oldest item kept is %q, want the newest %d", want[0].Title, MaxItems)
			}
		})
	}
}

// TestParseCappedFallsBack: when the byte-level split does not match what
// the parser sees, the whole document is parsed instead, with the same
// result.
func TestParseCappedFallsBack(t *testing.T) {
	doc := longDoc("atom", MaxItems+10)
	// A '>' inside an attribute value ends a start tag early for the
	// byte-level scanner: from there on its spans are wrong.
	trap := fmt.Sprintf(`<entry><title>Story %d</title>`, MaxItems+5)
	doc = strings.Replace(doc, trap, `<entry><link href="http://x.example/?a>b"/>`+trap[len("<entry>"):], 1)
	items := countItems([]byte(doc))
	if items.n <= MaxItems {
		t.Fatalf("countItems found %d items; the test needs more than %d", items.n, MaxItems)
	}
	if _, _, _, err := parseInSlices([]byte(doc), "", items); err == nil {
		t.Fatal("parseInSlices accepted slices that cut through an entry")
	}
	got, err := Parse([]byte(doc), "", Feed{URL: "http://long.example/atom"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != MaxItems || got.Dropped != 10 || got.Items[0].Title != "Story 10" {
		t.Errorf("kept %d items from %q, dropped %d; want %d from \"Story 10\", 10 dropped",
			len(got.Items), got.Items[0].Title, got.Dropped, MaxItems)
	}
}
