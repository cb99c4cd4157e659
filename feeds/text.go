package feeds

import (
	"bytes"
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

// rawTextElements are those whose content the tokenizer reads as text,
// markup and all.
var rawTextElements = map[atom.Atom]bool{
	atom.Iframe: true, atom.Noembed: true, atom.Noframes: true, atom.Plaintext: true,
	atom.Textarea: true, atom.Title: true, atom.Xmp: true,
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
	// The text goes into one buffer with '\n' between blocks; the lines are
	// then substrings of one string, which saves an allocation per line.
	text := make([]byte, 0, len(s))
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside invisible elements
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		switch tt {
		case html.TextToken:
			if skip == 0 {
				text = appendText(text, z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if invisibleElements[a] {
				if tt != html.EndTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			if blockElements[a] {
				text = append(text, '\n')
			}
		}
	}
	return splitLines(text)
}

// splitLines returns the lines of text with white space collapsed, empty
// lines dropped.
func splitLines(text []byte) []string {
	var lines []string
	for line := range strings.SplitSeq(string(text), "\n") {
		if line = collapseSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// sanitizedLines is htmlToLines for what sanitizeHTML returns, without the
// tokenizer, which cost more than the rest of the text extraction. In HTML
// that bluemonday (or html.Render) wrote, text and attribute values are
// escaped, so every '<' starts a tag that the next '>' ends. Anything else
// (a comment, an unclosed tag, an element whose content is invisible or
// read raw) is left to htmlToLines. FuzzSanitizedLines checks the two agree.
func sanitizedLines(s string) []string {
	text := make([]byte, 0, len(s))
	for rest := s; rest != ""; {
		lt := strings.IndexByte(rest, '<')
		if lt < 0 {
			lt = len(rest)
		}
		if seg := rest[:lt]; strings.IndexByte(seg, '&') < 0 {
			text = appendText(text, seg) // UnescapeString scans it rune by rune
		} else {
			text = appendText(text, html.UnescapeString(seg))
		}
		if lt == len(rest) {
			break
		}
		gt := strings.IndexByte(rest[lt:], '>')
		if gt < 0 {
			return htmlToLines(s)
		}
		a, ok := tagAtom(rest[lt+1 : lt+gt])
		if !ok || invisibleElements[a] || rawTextElements[a] {
			return htmlToLines(s)
		}
		if blockElements[a] {
			text = append(text, '\n')
		}
		rest = rest[lt+gt+1:]
	}
	return splitLines(text)
}

// tagAtom returns the element of a start or end tag without its '<' and
// '>', or false when tag is not one the way bluemonday writes them.
func tagAtom(tag string) (atom.Atom, bool) {
	tag = strings.TrimPrefix(tag, "/")
	end := strings.IndexAny(tag, " /")
	if end < 0 {
		end = len(tag)
	}
	name := tag[:end]
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') || i == 0 && c <= '9' {
			return 0, false
		}
	}
	return atom.Lookup([]byte(name)), name != ""
}

// appendText appends a text token with its line breaks made spaces, so
// that '\n' separates blocks only; collapseSpace would make them spaces.
func appendText[T string | []byte](dst []byte, text T) []byte {
	i := len(dst)
	dst = append(dst, text...)
	for {
		j := bytes.IndexByte(dst[i:], '\n')
		if j < 0 {
			return dst
		}
		i += j
		dst[i] = ' '
	}
}

// collapseSpace replaces runs of white space (including no-break spaces)
// with one space and trims the ends. Invalid UTF-8 becomes U+FFFD. Most
// text needs at most its ends trimmed, so that case returns a substring of
// s without copying it.
func collapseSpace(s string) string {
	s = strings.TrimFunc(s, unicode.IsSpace)
	i := firstUncollapsed(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	space := false
	for _, r := range s[i:] {
		if unicode.IsSpace(r) {
			space = true
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

// firstUncollapsed returns the offset of the first byte of s that
// collapseSpace must change (white space other than a single ' ', or
// invalid UTF-8), or -1. s is trimmed, so the bytes before that offset end
// with a character that is not white space.
func firstUncollapsed(s string) int {
	for i := 0; i < len(s); {
		if c := s[i]; c > ' ' && c < utf8.RuneSelf {
			i++
			continue
		} else if c == ' ' && i+1 < len(s) && s[i+1] > ' ' && s[i+1] < utf8.RuneSelf {
			i += 2 // the usual single space between words
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return i
		case r == ' ':
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); unicode.IsSpace(next) {
				return i
			}
		case unicode.IsSpace(r):
			return i
		}
		i += size
	}
	return -1
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
	`share (?:this|on|via)\b.*`,
	`follow us on\b.*`,
	`(?:(?:share|tweet|email|print|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|copy link)[\s|•·,/]*)+`,
}, "|") + `)$`)

// creditLine matches lines that end with an agency credit. It is apart
// from boilerplateLine because its bounded repeat makes that regexp several
// times slower on every line, and only lines ending in ')' can match it.
var creditLine = regexp.MustCompile(`(?i)^.{0,160}\((?:getty images|ap photo[^)]*|reuters|afp[^)]*|shutterstock|ap|epa)\)\.?$`)

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

// boilerplateStarts are the words a line must start with (any case) for
// boilerplateLine to match it, except its "click the link below" pattern.
// Checking them first is cheaper than the regexp, and than searching the
// whole line for a hint word: most lines start with none of them.
var boilerplateStarts = []string{
	"subscribe ", "sign up ", "the post ", "continue reading", "keep reading", "read ", "photo", "image",
	"picture", "illustration", "share", "follow us on", "tweet", "email", "print", "facebook", "twitter",
	"x", "linkedin", "whatsapp", "reddit", "pinterest", "copy link",
}

func isBoilerplate(line string) bool {
	if len(line) >= maxBoilerplateLine {
		return false
	}
	if startsLikeBoilerplate(line) || containsFold(line, "link below") {
		return boilerplateLine.MatchString(line)
	}
	return (strings.HasSuffix(line, ")") || strings.HasSuffix(line, ").")) && creditLine.MatchString(line)
}

// startsLikeBoilerplate reports whether line starts with one of
// boilerplateStarts, ignoring ASCII case.
func startsLikeBoilerplate(line string) bool {
	for _, w := range boilerplateStarts {
		if len(line) >= len(w) && line[0]|0x20 == w[0] && strings.EqualFold(line[:len(w)], w) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains the lower-case ASCII word,
// ignoring case.
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if s[i]|0x20 == word[0] && strings.EqualFold(s[i:i+len(word)], word) {
			return true
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

// itemText is the plain text of an item's summary and content as
// sanitizeHTML returned them, boilerplate removed. When one contains the
// other (a summary that is the start of the article) it appears once.
func itemText(summary, content string) string {
	sum := strings.Join(dropBoilerplate(sanitizedLines(summary)), "\n")
	body := strings.Join(dropBoilerplate(sanitizedLines(content)), "\n")
	var text string
	switch {
	case sum == "":
		text = body
	case body == "":
		text = sum
	case containsText(body, trimEllipsis(sum)):
		text = body
	case containsText(sum, body):
		text = sum
	default:
		text = sum + "\n" + body
	}
	return truncate(text, maxTextLen)
}

// containsText compares with line breaks folded into spaces, as a summary
// often joins the first paragraphs of the content.
func containsText(haystack, needle string) bool {
	return strings.Contains(strings.ReplaceAll(haystack, "\n", " "), strings.ReplaceAll(needle, "\n", " "))
}
