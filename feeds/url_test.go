package feeds

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/a", "https://example.com/a"},
		{"  HTTPS://Example.COM/Path/Case  ", "https://example.com/Path/Case"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"http://example.com:443/a", "http://example.com:443/a"},
		{"https://example.com", "https://example.com/"},
		{"https://example.com./a", "https://example.com/a"},
		{"https://user:secret@example.com/a", "https://example.com/a"},
		{"https://example.com/a#comments", "https://example.com/a"},
		{"https://example.com/a/./b/../c", "https://example.com/a/c"},
		{"https://bücher.example/a", "https://xn--bcher-kva.example/a"},
		{"https://[2001:DB8::1]:443/a", "https://[2001:db8::1]/a"},
		{"https://example.com/a?", "https://example.com/a"},
		{"https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"},
		{"https://example.com/a?a=2&a=1", "https://example.com/a?a=2&a=1"},
		{"https://example.com/a?q=x%20y&p=1", "https://example.com/a?p=1&q=x%20y"},
		// Tracking parameters go; parameters that select content stay.
		{"https://example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x&id=7", "https://example.com/a?id=7"},
		{"https://example.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&at_medium=5&at_campaign=6", "https://example.com/a"},
		{"https://example.com/a?ref=rss", "https://example.com/a"},
		{"https://example.com/a?ref=RSS_feed&src=feedburner&source=atom", "https://example.com/a"},
		{"https://example.com/a?ref=main", "https://example.com/a?ref=main"},
		{"https://example.com/a?source=wire&from=search", "https://example.com/a?from=search&source=wire"},
		{"https://example.com/a?ref=feedback", "https://example.com/a?ref=feedback"},
		// Unusable input.
		{"", ""},
		{"/relative/path", ""},
		{"example.com/a", ""},
		{"javascript:alert(1)", ""},
		{"data:text/html,hi", ""},
		{"ftp://example.com/a", ""},
		{"mailto:a@example.com", ""},
		{"https://", ""},
		{"http://[::1", ""},
		{"https://example.com/" + strings.Repeat("a", maxURLLen), ""},
	}
	for _, tt := range tests {
		if got := CanonicalURL(tt.in); got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCanonicalURLIsIdempotent(t *testing.T) {
	for _, in := range []string{
		"HTTP://Example.com:80/a/../b?utm_x=1&z=1&a=%2F#x",
		"https://bücher.example/ä?ö=ü",
	} {
		once := CanonicalURL(in)
		if twice := CanonicalURL(once); twice != once {
			t.Errorf("CanonicalURL(%q) = %q, but again gives %q", in, once, twice)
		}
	}
}

func TestResolveURL(t *testing.T) {
	base := parseBase("https://example.com/blog/feed.xml")
	tests := []struct{ ref, want string }{
		{"post-1.html", "https://example.com/blog/post-1.html"},
		{"/2026/11/post", "https://example.com/2026/11/post"},
		{"../about", "https://example.com/about"},
		{"//cdn.example.net/x", "https://cdn.example.net/x"},
		{"https://other.example/y?utm_source=z", "https://other.example/y"},
		{"  ", ""},
		{"javascript:void(0)", ""},
	}
	for _, tt := range tests {
		if got := resolveURL(base, tt.ref, nil); got != tt.want {
			t.Errorf("resolveURL(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
	if got := resolveURL(nil, "/relative", nil); got != "" {
		t.Errorf("resolveURL without base = %q, want empty", got)
	}
}

// The same article with two tracking tails is one URL: the built-in list
// (news sites' campaign tags among them) and the operator's additions,
// names and prefixes, applied to item links.
func TestTrackingParamsBuiltInAndExtra(t *testing.T) {
	for _, raw := range []string{
		"https://www.bbc.co.uk/news/world-1?at_medium=RSS&at_campaign=KARANGA",
		"https://www.bbc.co.uk/news/world-1?ito=1234&ns_campaign=bbc_news&ns_mchannel=social&ns_source=twitter",
		"https://www.bbc.co.uk/news/world-1?cmpid=rss&utm_source=x&fbclid=abc",
	} {
		if got := CanonicalURL(raw); got != "https://www.bbc.co.uk/news/world-1" {
			t.Errorf("CanonicalURL(%q) = %q", raw, got)
		}
	}
	doc := func(link string, opt ParseOptions) string {
		t.Helper()
		body := `<rss version="2.0"><channel><title>W</title><item><title>A</title><link>` + link + `</link></item></channel></rss>`
		d, err := ParseWith([]byte(body), "", Feed{URL: "https://w.example/rss"}, testFetchedAt, opt)
		if err != nil || len(d.Items) != 1 {
			t.Fatalf("parse: %v", err)
		}
		return d.Items[0].URL
	}
	opt := ParseOptions{TrackingParams: []string{"Share_ID", "sh_*"}}
	a := doc("https://w.example/a?id=7&amp;share_id=abc&amp;sh_src=x", opt)
	b := doc("https://w.example/a?sh_medium=y&amp;id=7", opt)
	if a != "https://w.example/a?id=7" || a != b {
		t.Errorf("with poll.tracking_params: %q and %q, want both https://w.example/a?id=7", a, b)
	}
	if got := doc("https://w.example/a?id=7&amp;share_id=abc", ParseOptions{}); got != "https://w.example/a?id=7&share_id=abc" {
		t.Errorf("without the extra parameters: %q keeps share_id", got)
	}
	if list := TrackingParams(); !slices.Contains(list, "utm_*") || !slices.Contains(list, "ns_mchannel") {
		t.Errorf("TrackingParams: %v", list)
	}
}

// The README lists every built-in tracking parameter.
func TestREADMEListsTrackingParams(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range TrackingParams() {
		if !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("README.md does not list the tracking parameter %s", name)
		}
	}
}
