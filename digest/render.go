package digest

import (
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"unicode/utf8"

	"herald/rank"
	"herald/templates"
)

// Templates are the two parts of a digest email, parsed: email.txt
// (text/template) and email.html (html/template).
type Templates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// ParseTemplates parses email.txt and email.html from fsys (package
// templates: the defaults with an operator's overrides).
func ParseTemplates(fsys fs.FS) (*Templates, error) {
	text, err := texttemplate.New("email.txt").Funcs(texttemplate.FuncMap{
		"wrap": wrap, "underline": underline, "trimLeft": func(s string) string { return strings.TrimLeft(s, " ") },
		"inc": func(i int) int { return i + 1 },
	}).ParseFS(fsys, "email.txt")
	if err != nil {
		return nil, err
	}
	html, err := htmltemplate.ParseFS(fsys, "email.html")
	if err != nil {
		return nil, err
	}
	return &Templates{text: text, html: html}, nil
}

// defaultTemplates are the built-in ones, parsed on first use.
var defaultTemplates = templates.BuiltIn(ParseTemplates)

const (
	maxLinks       = 8   // source links shown per event; the rest are counted
	summaryRunes   = 140 // two lines of the text part
	subjectRunes   = 70  // of the top headline in the subject
	textWidth      = 72
	headlineRunes  = 200
	lateNoteFormat = "This briefing is late: it was due at %s, when Herald was not running. It covers everything since your previous briefing."
)

// view is what both templates show.
type view struct {
	Title, Intro, LateNote, Footer string
	UnsubscribeURL                 string
	Threads                        []viewThread
}

// viewThread is a storyline's events. One event new to the reader is
// shown as a plain item; several, or events of a storyline mailed before,
// under a heading.
type viewThread struct {
	Number                    string // the text part's "2."
	Heading, Count, Note, URL string // Heading is "" for a plain item
	Items                     []viewItem
	More                      string // the events left out, counted
}

type viewItem struct {
	Number, Indent                        string // the text part's "3." or "   b.", and the indent of its lines
	Headline, Summary, Coverage, EventURL string
	Update                                bool
	Links                                 []link
	More                                  int
}

type link struct{ Label, URL string }

func newView(d Digest, publicURL, unsubscribeURL string) view {
	loc := d.Subscriber.Location
	end := d.Period.End.In(loc)
	v := view{
		Title:          "Herald briefing, " + end.Format("Monday 2 January 2006"),
		Intro:          intro(d),
		UnsubscribeURL: unsubscribeURL,
		Footer: fmt.Sprintf("You receive this briefing (topics: %s) at %s because %s is subscribed to Herald.",
			topicList(d.Subscriber), end.Format("15:04 MST"), d.Subscriber.Email),
	}
	if d.Period.Late {
		v.LateNote = fmt.Sprintf(lateNoteFormat, end.Format("15:04 MST on Monday 2 January"))
	}
	for i, t := range d.Threads {
		v.Threads = append(v.Threads, newViewThread(i, t, publicURL))
	}
	return v
}

// newViewThread shows the i-th thread of a digest.
func newViewThread(i int, t Thread, publicURL string) viewThread {
	number := strconv.Itoa(i+1) + "."
	if len(t.Entries) == 1 && t.Earlier == 0 && t.More == 0 {
		it := newViewItem(t.Entries[0], publicURL)
		it.Number, it.Indent = number, "   "
		return viewThread{Items: []viewItem{it}}
	}
	v := viewThread{Number: number, Heading: clip(oneLine(t.Name), headlineRunes),
		Count: plural(len(t.Entries), "event") + ", " + plural(t.Sources, "source")}
	if t.Earlier > 0 {
		v.Count = plural(len(t.Entries), "new event") + ", " + plural(t.Sources, "source")
		v.Note = "Continued: " + plural(t.Earlier, "event") + " of this storyline in your earlier briefings."
	}
	if publicURL != "" && t.Storyline != "" {
		v.URL = strings.TrimRight(publicURL, "/") + "/storylines/" + url.PathEscape(t.Storyline) + ".html"
	}
	if t.More > 0 {
		v.More = fmt.Sprintf("and %d more of this storyline since your last briefing, the most widely covered above", t.More)
	}
	for j, e := range t.Entries {
		it := newViewItem(e, publicURL)
		it.Number, it.Indent = "   "+letter(j)+".", "      "
		v.Items = append(v.Items, it)
	}
	return v
}

// letter numbers the events of a thread: a, b, c... then 27, 28...
func letter(i int) string {
	if i < 26 {
		return string(rune('a' + i))
	}
	return strconv.Itoa(i + 1)
}

func intro(d Digest) string {
	since := d.Period.Start.In(d.Subscriber.Location).Format("Monday 2 January, 15:04 MST")
	n, threads := len(d.Entries()), len(d.Threads)
	switch {
	case n == 0:
		return "Nothing new in your topics since " + since + "."
	case n == 1:
		return "One event since " + since + "."
	case threads < n:
		return fmt.Sprintf("%d events in %d storylines since %s, the most widely covered first.", n, threads, since)
	default:
		return fmt.Sprintf("%d events since %s, the most widely covered first.", n, since)
	}
}

// topicList names the subscriber's topics by their titles (their ids
// where a title is missing).
func topicList(s Subscriber) string {
	if len(s.Topics) == 0 {
		return "all"
	}
	names := make([]string, len(s.Topics))
	for i, t := range s.Topics {
		names[i] = t
		if i < len(s.TopicTitles) && s.TopicTitles[i] != "" {
			names[i] = s.TopicTitles[i]
		}
	}
	return strings.Join(names, ", ")
}

func newViewItem(e Entry, publicURL string) viewItem {
	headline := oneLine(e.Event.Headline)
	if headline == "" {
		headline = "(untitled)"
	}
	it := viewItem{
		Headline: clip(headline, headlineRunes),
		Summary:  clip(oneLine(e.Event.Summary), summaryRunes),
		Coverage: coverage(e),
		Update:   e.Update,
	}
	if publicURL != "" {
		it.EventURL = strings.TrimRight(publicURL, "/") + "/events/" + url.PathEscape(e.Event.ID) + ".html"
	}
	// One link per publisher, to the report readers are sent to (the
	// deduplicator's choice, not the publisher's first report).
	for _, s := range rank.Publishers(e.Event) {
		if !isWebURL(s.URL) {
			continue
		}
		if len(it.Links) == maxLinks {
			it.More++
			continue
		}
		it.Links = append(it.Links, link{Label: sourceLabel(s.Publisher, s.URL), URL: s.URL})
	}
	return it
}

func coverage(e Entry) string {
	s := "Covered by " + plural(e.Sources, "source")
	if e.Update {
		s += fmt.Sprintf(" (%d when it was in an earlier briefing)", e.Was)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func sourceLabel(publisher, rawURL string) string {
	if p := oneLine(publisher); p != "" {
		return clip(p, 60)
	}
	u, _ := url.Parse(rawURL)
	return strings.TrimPrefix(u.Host, "www.")
}

// isWebURL keeps only http(s) links: sources come from strangers' feeds.
func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip shortens s to at most n runes, at a word boundary, with an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}

// wrap breaks s into lines of at most textWidth columns, each starting
// with indent.
func wrap(s, indent string) string {
	var b strings.Builder
	col := 0
	for _, word := range strings.Fields(s) {
		w := utf8.RuneCountInString(word)
		switch {
		case col == 0:
			b.WriteString(indent)
			col = utf8.RuneCountInString(indent)
		case col+1+w > textWidth:
			b.WriteString("\n" + indent)
			col = utf8.RuneCountInString(indent)
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += w
	}
	return b.String()
}

func underline(s string) string { return strings.Repeat("=", utf8.RuneCountInString(s)) }

// renderBodies fills both templates.
func (tm *Templates) renderBodies(v view) (text, html string, err error) {
	var t, h strings.Builder
	items := 0
	for _, th := range v.Threads {
		items += len(th.Items)
	}
	t.Grow(512 * (items + 2)) // about what an event takes: fewer regrowths
	h.Grow(2048 * (items + 2))
	if err := tm.text.Execute(&t, v); err != nil {
		return "", "", fmt.Errorf("render text part: %w", err)
	}
	if err := tm.html.Execute(&h, v); err != nil {
		return "", "", fmt.Errorf("render html part: %w", err)
	}
	return t.String(), h.String(), nil
}
