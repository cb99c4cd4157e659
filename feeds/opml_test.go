package feeds

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func readOPMLFixture(t *testing.T, name string) []OPMLFeed {
	t.Helper()
	feeds, _ := readOPMLSkips(t, name)
	return feeds
}

func readOPMLSkips(t *testing.T, name string) ([]OPMLFeed, []OPMLSkip) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	feeds, skipped, err := ReadOPML(f)
	if err != nil {
		t.Fatal(err)
	}
	return feeds, skipped
}

// An import reports the outlines it left out and why, and keeps a feed's
// title and site link (htmlUrl, canonicalized).
func TestReadOPMLReportsSkips(t *testing.T) {
	got, skipped := readOPMLSkips(t, "opml-skips.opml")
	want := []OPMLFeed{{URL: "https://wire.example/rss", Title: "Wire", Topic: "World News", SiteURL: "https://wire.example/"}}
	if !slices.Equal(got, want) {
		t.Errorf("feeds:\n got %+v\nwant %+v", got, want)
	}
	wantSkips := []OPMLSkip{
		{Title: "Clicky", URL: "javascript:alert(1)", Reason: "javascript: URLs are not feeds Herald can fetch (only http and https)"},
		{Title: "Inline", URL: "data:application/rss+xml;base64,PHJzcz48L3Jzcz4=", Reason: "data: URLs are not feeds Herald can fetch (only http and https)"},
		{Title: "Local", URL: "file:///etc/passwd", Reason: "file: URLs are not feeds Herald can fetch (only http and https)"},
		{Title: "Relative", URL: "/feeds/rss.xml", Reason: "not an absolute URL"},
	}
	if !slices.Equal(skipped, wantSkips) {
		t.Errorf("skipped:\n got %+v\nwant %+v", skipped, wantSkips)
	}
}

func TestReadOPMLNested(t *testing.T) {
	got := readOPMLFixture(t, "opml-nested.opml")
	want := []OPMLFeed{
		{URL: "https://top.example/feed", Title: "No folder", Topic: ""},
		{URL: "https://wire.example/rss", Title: "Wire & Co", Topic: "World"},
		{URL: "https://atom.example/atom.xml", Title: "Atom only title", Topic: "World"},
		{URL: "https://europa.example/feed", Title: "Café Europa", Topic: "Europe"},
		{URL: "http://tech.example/feed", Title: "Old Safari", Topic: "Tech"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadOPML:\n got %+v\nwant %+v", got, want)
	}
}

func TestReadOPMLFlat(t *testing.T) {
	got := readOPMLFixture(t, "opml-flat.opml")
	want := []OPMLFeed{
		{URL: "https://one.example/feed", Title: "One", Topic: ""},
		{URL: "https://two.example/feed", Title: "Two", Topic: "Science/Space"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadOPML:\n got %+v\nwant %+v", got, want)
	}
}

func TestReadOPMLErrors(t *testing.T) {
	tests := map[string]string{
		"empty":   "",
		"html":    "<html><body>not opml</body></html>",
		"rss":     `<rss version="2.0"><channel/></rss>`,
		"too big": "<opml>" + strings.Repeat(" ", maxOPMLSize) + "</opml>", // the message says to split the file
		"garbage": "{}",
	}
	for name, in := range tests {
		feeds, _, err := ReadOPML(strings.NewReader(in))
		if err == nil {
			t.Errorf("%s: got %v, want an error", name, feeds)
		}
		if name == "too big" && !strings.Contains(fmt.Sprint(err), "split it into smaller files") {
			t.Errorf("too big: %v, want the error to say what to do", err)
		}
	}
}

func TestWriteOPMLRoundTrip(t *testing.T) {
	feeds := []OPMLFeed{
		{URL: "https://a.example/feed", Title: "A & B", Topic: "World"},
		{URL: "https://b.example/feed", Title: "", Topic: ""},
		{URL: "https://c.example/feed?x=1&y=2", Title: "C", Topic: "Tech"},
		{URL: "https://d.example/feed", Title: "D <quoted>", Topic: "World"},
		{URL: "https://a.example/feed", Title: "A & B", Topic: "Tech"}, // a second topic
	}
	var buf bytes.Buffer
	if err := WriteOPML(&buf, "Herald <export>", feeds); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, xml.Header) || !strings.Contains(out, `<opml version="2.0">`) ||
		!strings.Contains(out, "<title>Herald &lt;export&gt;</title>") {
		t.Errorf("not an OPML 2.0 document:\n%s", out)
	}
	// Every outline needs a text attribute in OPML 2.0, even untitled feeds.
	if !strings.Contains(out, `text="https://b.example/feed"`) {
		t.Errorf("untitled feed has no text:\n%s", out)
	}
	if err := xml.Unmarshal(buf.Bytes(), new(struct{})); err != nil {
		t.Errorf("output is not well-formed XML: %v", err)
	}
	back, _, err := ReadOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	wantBack := []OPMLFeed{feeds[0], feeds[3], {URL: "https://b.example/feed", Title: "https://b.example/feed"}, feeds[2], feeds[4]}
	if !slices.Equal(back, wantBack) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, wantBack)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteOPMLReportsWriteErrors(t *testing.T) {
	if err := WriteOPML(failingWriter{}, "x", []OPMLFeed{{URL: "https://a.example/"}}); err == nil {
		t.Error("want an error from a failing writer")
	}
}
