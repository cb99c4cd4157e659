package feeds

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// An item's plain text (Item.Text): the visible lines of its sanitized HTML,
// which the deduplicator reads; titles use the same line reader (plaintext.go).

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
