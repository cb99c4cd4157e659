package feeds

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
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
	clean := htmlPolicy.Sanitize(truncate(raw, maxHTMLLen))
	if base != nil && hasRelativeURL(clean) {
		// Sanitize again so absolutized links get target and noopener.
		clean = htmlPolicy.Sanitize(absolutizeHTML(clean, base))
	}
	if cut || len(clean) > maxHTMLLen {
		clean = truncateHTML(clean, maxHTMLLen)
	}
	return strings.TrimSpace(clean)
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

// absolutizeHTML rewrites relative href and src attributes against base.
func absolutizeHTML(s string, base *url.URL) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			b.Write(z.Raw())
			continue
		}
		tok := z.Token()
		for i, a := range tok.Attr {
			if a.Key == "href" || a.Key == "src" {
				if ref, err := url.Parse(strings.TrimSpace(a.Val)); err == nil {
					tok.Attr[i].Val = base.ResolveReference(ref).String()
				}
			}
		}
		b.WriteString(tok.String())
	}
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

// blockElements end a line of text when they open or close.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Hr: true,
	atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Figure: true, atom.Figcaption: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true, atom.Aside: true,
	atom.Details: true, atom.Summary: true, atom.Address: true, atom.Td: true, atom.Th: true, atom.Caption: true,
}

// invisibleElements hold no reader-visible text.
var invisibleElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Head: true,
}

// htmlToLines returns the visible text of an HTML fragment, one line per
// block, entities unescaped, white space collapsed, empty lines dropped.
func htmlToLines(s string) []string {
	if !strings.Contains(s, "<") { // plain text: skip the tokenizer
		if line := collapseSpace(html.UnescapeString(s)); line != "" {
			return []string{line}
		}
		return nil
	}
	var lines []string
	var cur strings.Builder
	flush := func() {
		if line := collapseSpace(cur.String()); line != "" {
			lines = append(lines, line)
		}
		cur.Reset()
	}
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside invisible elements
	for {
		switch z.Next() {
		case html.ErrorToken:
			flush()
			return lines
		case html.TextToken:
			if skip == 0 {
				cur.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if invisibleElements[a] {
				skip++
			}
			if blockElements[a] {
				flush()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if invisibleElements[a] && skip > 0 {
				skip--
			}
			if blockElements[a] {
				flush()
			}
		}
	}
}

// collapseSpace replaces runs of white space (including no-break spaces)
// with one space and trims the ends.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// markupRe finds what looks like a tag: only then is a title parsed as HTML,
// so a plain "a<b" or "5 < 6" title keeps its text.
var markupRe = regexp.MustCompile(`<[a-zA-Z/!]`)

// plainText turns a short field (title, author) that feeds send as text,
// escaped HTML or double-escaped entities into one line of plain text of
// at most n bytes.
func plainText(s string, n int) string {
	s = truncate(s, 4*n)
	if markupRe.MatchString(s) {
		s = strings.Join(htmlToLines(s), " ")
	}
	// Unescape twice: some feeds escape entities twice (&amp;eacute;).
	s = html.UnescapeString(html.UnescapeString(s))
	return truncate(collapseSpace(s), n)
}

// boilerplateLine matches whole lines that are publisher furniture rather
// than story: subscription and share prompts, "read more" links, WordPress's
// "The post X appeared first on Y", photo credits.
var boilerplateLine = regexp.MustCompile(`(?i)^(?:` + strings.Join([]string{
	`subscribe (?:to|for|now|today|here)\b.*`,
	`sign up (?:for|to)\b.*\bnewsletters?\b.*`,
	`.*\bclick (?:on )?(?:the|this) link below\b.*`,
	`the post .+ appeared first on .+`,
	`(?:continue|keep) reading\b.*`,
	`read (?:more|the (?:full|rest of the) (?:story|article|post))\b.*`,
	`(?:photo|image|picture|photograph|illustration)s?(?: credits?)?\s*(?::|by\b|©).*`,
	`image credits?\b.*`,
	`.{0,160}\((?:getty images|ap photo[^)]*|reuters|afp[^)]*|shutterstock|ap|epa)\)\.?`,
	`share (?:this|on|via)\b.*`,
	`follow us on\b.*`,
	`(?:(?:share|tweet|email|print|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|copy link)[\s|•·,/]*)+`,
}, "|") + `)$`)

// readMoreLinks are link texts that end a teaser paragraph.
var readMoreLinks = []string{"continue reading", "read more", "keep reading"}

// trimReadMore removes a "Continue reading…" link from the end of a line.
// (A regexp anchored at the end scans the whole line from every position.)
func trimReadMore(line string) string {
	rest := strings.TrimRightFunc(line, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(".…→»>", r)
	})
	tail := strings.ToLower(rest[max(0, len(rest)-len("continue reading")):])
	for _, link := range readMoreLinks {
		if strings.HasSuffix(tail, link) {
			return strings.TrimSpace(rest[:len(rest)-len(link)])
		}
	}
	return line
}

// boilerplateHints are words one of which every boilerplate line contains,
// checked before the (slower) regexp.
var boilerplateHints = []string{
	"subscribe", "sign up", "link below", "appeared first", "reading", "read ", "photo",
	"image", "picture", "illustration", "getty", "ap photo", "reuters", "afp", "(ap)", "(epa)",
	"shutterstock", "share", "follow us", "tweet", "email", "print", "facebook", "twitter",
	"linkedin", "whatsapp", "reddit", "pinterest", "copy link",
}

func isBoilerplate(line string) bool {
	if len(line) >= maxBoilerplateLine {
		return false
	}
	lower := strings.ToLower(line)
	for _, hint := range boilerplateHints {
		if strings.Contains(lower, hint) {
			return boilerplateLine.MatchString(line)
		}
	}
	return false
}

// maxBoilerplateLine keeps long paragraphs that merely start like a prompt.
const maxBoilerplateLine = 300

// dropBoilerplate removes boilerplate lines and trailing read-more links.
func dropBoilerplate(lines []string) []string {
	kept := lines[:0:0]
	for _, line := range lines {
		if isBoilerplate(line) {
			continue
		}
		if line = trimReadMore(line); line != "" {
			kept = append(kept, line)
		}
	}
	return kept
}

// ellipses are how feeds mark a summary cut from the full text.
var ellipses = []string{"[…]", "[...]", "…", "..."}

func trimEllipsis(s string) string {
	s = strings.TrimSpace(s)
	for _, e := range ellipses {
		if strings.HasSuffix(s, e) {
			return strings.TrimSpace(strings.TrimSuffix(s, e))
		}
	}
	return s
}

// itemText is the plain text of an item's sanitized summary and content,
// boilerplate removed. When one contains the other (a summary that is the
// start of the article) it appears once.
func itemText(summary, content string) string {
	sum := strings.Join(dropBoilerplate(htmlToLines(summary)), "\n")
	body := strings.Join(dropBoilerplate(htmlToLines(content)), "\n")
	text := sum + "\n" + body
	switch {
	case sum == "":
		text = body
	case body == "":
		text = sum
	case containsText(body, trimEllipsis(sum)):
		text = body
	case containsText(sum, body):
		text = sum
	}
	return truncate(text, maxTextLen)
}

// containsText compares with line breaks folded into spaces, as a summary
// often joins the first paragraphs of the content.
func containsText(haystack, needle string) bool {
	return strings.Contains(strings.ReplaceAll(haystack, "\n", " "), strings.ReplaceAll(needle, "\n", " "))
}
