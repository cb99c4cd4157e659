package feeds

import (
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Titles, author names and publisher names are plain text: whatever a feed
// sends (text, HTML, escaped or double-escaped markup) is decoded once,
// stripped of anything a reader would take for a tag and of control and
// bidirectional-override characters, and escaped as text on output. A
// double-escaped "&lt;img onerror=...&gt;" decodes to a tag, and a tag is
// dropped: feed readers that render titles as HTML get nothing to run.

// markupRe finds what looks like a tag: only then is a title parsed as HTML,
// so a plain "a<b" or "5 < 6" title keeps its text.
var markupRe = regexp.MustCompile(`<[a-zA-Z/!]`)

// plainText turns a short field (title, author) into one line of plain
// text of at most n bytes.
func plainText(s string, n int) string {
	s = truncate(s, 4*n)
	if markupRe.MatchString(s) {
		s = strings.Join(htmlToLines(s), " ") // decodes the entities of the text
	} else {
		s = html.UnescapeString(s)
	}
	s = StripTags(s) // markup the feed had escaped is still markup
	return truncate(collapseSpace(dropFormatting(s)), n)
}

// StripTags removes from s what an HTML parser would read as a tag or a
// comment, with the content of elements readers never show (script,
// style), and keeps the text between exactly as written: no entity is
// decoded. It repeats while that removes something ("<<b>b>" leaves "<b>"
// behind), so its result holds no tag. The web side applies it to the
// titles it republishes, whatever the store holds.
func StripTags(s string) string {
	for markupRe.MatchString(s) {
		out := stripOnce(s)
		if len(out) >= len(s) { // what looked like a tag was text ("</" at the end)
			return out
		}
		s = out
	}
	return s
}

func stripOnce(s string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside invisible elements
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		switch tt {
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Raw())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			switch {
			case !invisibleElements[atom.Lookup(name)] || tt == html.SelfClosingTagToken:
				b.WriteByte(' ') // "a<br>b" is two words
			case tt == html.StartTagToken:
				skip++
			case skip > 0:
				skip--
			}
		}
	}
	return b.String()
}

// dropFormatting removes control characters and the invisible marks that
// reorder text (U+202E RIGHT-TO-LEFT OVERRIDE makes "gnp.exe" read
// "exe.png"), which a title has no use for.
func dropFormatting(s string) string {
	if strings.IndexFunc(s, isFormatting) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return ' '
		case isFormatting(r):
			return -1
		}
		return r
	}, s)
}

func isFormatting(r rune) bool {
	return r < 0x20 || r >= 0x7f && r <= 0x9f ||
		r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}
