package feeds

import (
	"bytes"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Field caps, applied before storage so that one hostile item (a 5 MB
// description, a 100 KB title) cannot bloat the database or slow dedup.
const (
	maxTitleLen  = 1 << 10
	maxHTMLLen   = 256 << 10 // Summary and Content each
	maxTextLen   = 64 << 10
	maxAuthorLen = 256
)

// htmlPolicy is bluemonday's policy for user-generated content: no scripts,
// styles, iframes, forms or event handlers, only http, https and mailto
// URLs (so no javascript: or data:), rel="nofollow" on every link, and
// target="_blank" with rel="noopener" on absolute links. It is built once
// and only read afterwards; bluemonday policies are safe for concurrent use.
var htmlPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
}()

// sanitizeHTML returns raw as safe HTML of at most maxHTMLLen bytes, with
// relative links resolved against base.
func sanitizeHTML(raw string, base *url.URL) string {
	if strings.TrimSpace(raw) == "" {
		return ""
	}
	if !strings.Contains(raw, "<") {
		// Plain text (with entities) needs escaping, not a sanitizer.
		return strings.TrimSpace(html.EscapeString(html.UnescapeString(truncate(raw, maxHTMLLen))))
	}
	// Cap the input first: sanitizing 5 MB to keep 256 KB wastes time.
	cut := len(raw) > maxHTMLLen
	clean := sanitize(truncate(raw, maxHTMLLen))
	if base != nil && hasRelativeURL(clean) {
		var newHosts bool
		clean, newHosts = absolutizeHTML(clean, base)
		if newHosts {
			// Sanitize again so that links that now name a host get
			// target and noopener. Resolving against an http(s) base
			// cannot make a URL unsafe, so other rewrites (the common
			// feedburner pixel <img src="//...">) skip this second pass.
			clean = sanitize(clean)
		}
	}
	if cut || len(clean) > maxHTMLLen {
		clean = truncateHTML(clean, maxHTMLLen)
	}
	return strings.TrimSpace(clean)
}

// sanitize is htmlPolicy.Sanitize for a non-blank s, writing into a buffer
// sized for the result: Sanitize grows a bytes.Buffer from 64 bytes and
// then copies it, allocating about three times the output. Sanitized HTML
// is rarely more than a quarter longer than its input (rel, target and
// escaped quotes are added; scripts and attributes dropped).
func sanitize(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	if err := htmlPolicy.SanitizeReaderToWriter(strings.NewReader(s), &b); err != nil {
		return "" // as Sanitize does
	}
	return b.String()
}

// hasRelativeURL looks for href="..." or src="..." values that are not
// absolute. It relies on bluemonday's output quoting every attribute value
// with double quotes.
func hasRelativeURL(s string) bool {
	for _, attr := range []string{` href="`, ` src="`} {
		for rest := s; ; {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			if !isAbsoluteRef(rest) {
				return true
			}
		}
	}
	return false
}

func isAbsoluteRef(s string) bool {
	for _, prefix := range []string{"http://", "https://", "mailto:", "#"} {
		if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
			return true
		}
	}
	return false
}

// absolutizeHTML rewrites relative href and src attributes of the
// sanitized HTML s against base. It reports whether an href that named no
// host now names one, which changes how bluemonday treats the link.
func absolutizeHTML(s string, base *url.URL) (string, bool) {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	newHosts := false
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String(), newHosts
		}
		raw := z.Raw()
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken || !hasURLAttr(raw) {
			b.Write(raw)
			continue
		}
		tok := z.Token()
		for i, a := range tok.Attr {
			if a.Key != "href" && a.Key != "src" {
				continue
			}
			if ref, err := url.Parse(strings.TrimSpace(a.Val)); err == nil {
				abs := base.ResolveReference(ref)
				tok.Attr[i].Val = abs.String()
				newHosts = newHosts || a.Key == "href" && ref.Host == "" && abs.Host != ""
			}
		}
		b.WriteString(tok.String())
	}
}

// hasURLAttr reports whether a tag as bluemonday writes it has an href or
// src attribute; other tags are copied as they are.
func hasURLAttr(tag []byte) bool {
	return bytes.Contains(tag, []byte(` href="`)) || bytes.Contains(tag, []byte(` src="`))
}

// closeRoom is what truncateHTML leaves for the end tags it adds.
const closeRoom = 1 << 10

// truncateHTML cuts s to at most n bytes at a tag boundary and closes the
// elements left open, so a truncated summary cannot swallow the page it is
// embedded in.
func truncateHTML(s string, n int) string {
	s = truncate(s, n-closeRoom)
	if i := strings.LastIndexByte(s, '<'); i >= 0 && !strings.Contains(s[i:], ">") {
		s = s[:i]
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return s
	}
	var b strings.Builder
	for _, node := range nodes {
		if err := html.Render(&b, node); err != nil {
			return s
		}
	}
	return truncate(b.String(), n)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
