package feeds

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Link is a feed found on a web page.
type Link struct {
	URL   string // absolute feed URL
	Title string // the link's title attribute; often empty
	Type  string // media type, e.g. application/rss+xml
}

// Discover finds the feeds a page offers, for `herald add`: the page itself
// when it already is a feed, else its <link rel="alternate"> feeds, else
// the feeds answering at common paths such as /feed and /rss.xml on the
// same host. It errors when it finds none. Discovery runs only when a user
// adds a feed, never at poll time.
func Discover(ctx context.Context, f *Fetcher, pageURL string) ([]Link, error) {
	page, err := f.fetch(ctx, Request{URL: pageURL})
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	if t := sniffType(page.Body); isFeedType(t) {
		return []Link{{URL: cmp.Or(page.PermanentURL, pageURL), Type: t}}, nil
	}
	base, err := url.Parse(page.URL) // relative links resolve against where the page really is
	if err != nil {
		return nil, fmt.Errorf("discover: page URL %q: %w", page.URL, err)
	}
	links := feedLinks(page.Body, base)
	if len(links) == 0 {
		links = probeCommonPaths(ctx, f, base)
	}
	if len(links) == 0 {
		return nil, fmt.Errorf("no feed found at %s: the page links to none and none of the usual paths "+
			"(/feed, /rss, /rss.xml, /atom.xml, /feed.xml, /index.xml) answers with one; give the feed's URL directly", pageURL)
	}
	return links, nil
}

// isFeedLinkType reports whether a <link type> value announces a feed.
func isFeedLinkType(t string) bool {
	switch t {
	case "application/rss+xml", "application/atom+xml", "application/rdf+xml",
		"application/feed+json", "application/json":
		return true
	}
	return false
}

// feedLinks returns the page's <link rel="alternate"> feeds in document
// order, resolved against <base href> or the page URL, without duplicates.
func feedLinks(page []byte, pageURL *url.URL) []Link {
	z := html.NewTokenizer(bytes.NewReader(page))
	base, baseSet := pageURL, false
	var raw []Link // hrefs as written; resolved once the base is known
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, _ := z.TagName()
		switch string(name) {
		case "base":
			if href := tagAttrs(z)["href"]; href != "" && !baseSet {
				if b, err := pageURL.Parse(strings.TrimSpace(href)); err == nil {
					base, baseSet = b, true // only the first <base> counts
				}
			}
		case "link":
			if l, ok := alternateFeed(tagAttrs(z)); ok {
				raw = append(raw, l)
			}
		}
	}
	return resolveLinks(raw, base)
}

// alternateFeed reads a <link>'s attributes as a feed link, if it is one.
func alternateFeed(attrs map[string]string) (Link, bool) {
	isAlternate := false
	for _, rel := range strings.Fields(strings.ToLower(attrs["rel"])) {
		isAlternate = isAlternate || rel == "alternate"
	}
	typ, _, _ := strings.Cut(strings.ToLower(attrs["type"]), ";")
	typ = strings.TrimSpace(typ)
	href := strings.TrimSpace(attrs["href"])
	if !isAlternate || !isFeedLinkType(typ) || href == "" {
		return Link{}, false
	}
	// WordPress marks its REST API (not a feed) as alternate application/json.
	if typ == "application/json" && strings.Contains(href, "/wp-json/") {
		return Link{}, false
	}
	return Link{URL: href, Title: strings.TrimSpace(attrs["title"]), Type: typ}, true
}

func resolveLinks(raw []Link, base *url.URL) []Link {
	var links []Link
	seen := map[string]bool{}
	for _, l := range raw {
		u, err := base.Parse(l.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		l.URL = u.String()
		links = append(links, l)
	}
	return links
}

func tagAttrs(z *html.Tokenizer) map[string]string {
	attrs := map[string]string{}
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		attrs[string(k)] = string(v)
	}
	return attrs
}

// probeCommonPaths tries where sites usually put their feed and returns
// those paths that answer with one. A failing path is simply not a feed.
func probeCommonPaths(ctx context.Context, f *Fetcher, page *url.URL) []Link {
	var links []Link
	seen := map[string]bool{}
	for _, path := range []string{"/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml"} {
		if ctx.Err() != nil {
			break
		}
		candidate := url.URL{Scheme: page.Scheme, Host: page.Host, Path: path}
		resp, err := f.fetch(ctx, Request{URL: candidate.String()})
		if err != nil || seen[resp.URL] {
			continue
		}
		if t := sniffType(resp.Body); isFeedType(t) {
			seen[resp.URL] = true // /feed and /rss often land on the same feed
			links = append(links, Link{URL: cmp.Or(resp.PermanentURL, candidate.String()), Type: t})
		}
	}
	return links
}

func isFeedType(t string) bool { return t != "" && t != "text/html" }

// sniffType guesses what a body is from its first bytes: a feed media type,
// "text/html", or "" when unsure. Servers' Content-Type headers are too
// often wrong to go by.
func sniffType(body []byte) string {
	b := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\uFEFF")), " \t\r\n")
	if len(b) > 0 && b[0] == '{' {
		// JSON Feed: the version is a URL, sometimes with escaped slashes.
		var doc struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(b, &doc) == nil && strings.Contains(doc.Version, "jsonfeed.org/version") {
			return "application/feed+json"
		}
		return ""
	}
	return sniffMarkup(b)
}

// sniffMarkup classifies an XML or HTML document by its root element,
// skipping what may precede it: a BOM, whitespace, the XML declaration,
// processing instructions, comments and a DOCTYPE.
func sniffMarkup(body []byte) string {
	b := bytes.TrimPrefix(body, []byte("\uFEFF"))
	for range 64 { // each pass drops one piece of prologue; real ones are short
		b = bytes.TrimLeft(b, " \t\r\n")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			b = skipPast(b, "?>")
		case bytes.HasPrefix(b, []byte("<!--")):
			b = skipPast(b, "-->")
		case hasPrefixFold(b, "<!doctype"):
			if hasPrefixFold(bytes.TrimLeft(b[len("<!doctype"):], " \t\r\n"), "html") {
				return "text/html"
			}
			b = skipDoctype(b)
		case len(b) > 1 && b[0] == '<':
			return rootElementType(b[1:])
		default:
			return ""
		}
	}
	return ""
}

func rootElementType(b []byte) string {
	end := bytes.IndexAny(b, " \t\r\n/>")
	if end < 0 {
		end = len(b)
	}
	name := strings.ToLower(string(b[:end]))
	switch {
	case name == "html" || name == "head" || name == "body":
		return "text/html"
	case name == "rss":
		return "application/rss+xml"
	case name == "feed":
		return "application/atom+xml"
	case name == "rdf" || strings.HasSuffix(name, ":rdf"):
		return "application/rdf+xml"
	}
	return ""
}

// skipDoctype drops a DOCTYPE, including an internal subset in [ ].
func skipDoctype(b []byte) []byte {
	gt, bracket := bytes.IndexByte(b, '>'), bytes.IndexByte(b, '[')
	if bracket >= 0 && bracket < gt {
		return skipPast(skipPast(b, "]"), ">")
	}
	return skipPast(b, ">")
}

func skipPast(b []byte, marker string) []byte {
	i := bytes.Index(b, []byte(marker))
	if i < 0 {
		return nil
	}
	return b[i+len(marker):]
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}
