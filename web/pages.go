package web

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"

	"herald/events"
	"herald/templates"
)

// page is what every HTML page gets: its view (Body) and the frame.
type page struct {
	Title      string
	Topics     []Topic
	Alternates []alternate
	Body       any
	Timeline   template.HTML // built from numbers only, see timeline.go
	Wide       bool          // a table that needs the window's width (/feeds)
}

// alternate is another format of the same page, or a feed of it.
type alternate struct {
	Type, Href, Label string
}

// Templates are the pages' templates, parsed: HTML (html/template) and
// Markdown (text/template).
type Templates struct {
	html *template.Template
	md   *texttemplate.Template
}

// The page templates, by format.
var (
	htmlPages     = []string{"layout.html", "front.html", "briefing.html", "event.html", "storyline.html", "feeds.html", "unsubscribe.html"}
	markdownPages = []string{"briefing.md", "event.md", "storyline.md"}
)

// ParseTemplates parses the page templates from fsys (package templates:
// the defaults with an operator's overrides).
func ParseTemplates(fsys fs.FS) (*Templates, error) {
	html, err := template.New("pages").Funcs(template.FuncMap{"when": when, "iso": iso}).ParseFS(fsys, htmlPages...)
	if err != nil {
		return nil, err
	}
	md, err := texttemplate.New("md").Funcs(texttemplate.FuncMap{
		"md": mdEscape, "mdurl": mdURL, "when": when, "inc": func(i int) int { return i + 1 },
	}).ParseFS(fsys, markdownPages...)
	if err != nil {
		return nil, err
	}
	return &Templates{html: html, md: md}, nil
}

// defaultTemplates are the built-in ones, parsed on first use.
var defaultTemplates = templates.BuiltIn(ParseTemplates)

// pageTypes are the content types of a page's formats, by extension.
var pageTypes = map[string]string{
	"html": "text/html; charset=utf-8",
	"json": "application/json; charset=utf-8",
	"xml":  "application/xml; charset=utf-8",
	"md":   "text/markdown; charset=utf-8",
}

// render writes view in the format ext: HTML through the template name,
// JSON and XML by encoding the view, Markdown through its own template.
func (s *server) render(w http.ResponseWriter, r *http.Request, ext, name string, p page, modified time.Time) {
	if pageTypes[ext] == "" {
		s.notFound(w, r, "pages come as .html, .json, .xml or .md")
		return
	}
	var b bytes.Buffer
	var err error
	switch ext {
	case "html":
		p.Topics = s.topics()
		err = s.pages.ExecuteTemplate(&b, name+".html", p)
	case "json":
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		err = enc.Encode(p.Body)
	case "xml":
		b.WriteString(xml.Header)
		enc := xml.NewEncoder(&b)
		enc.Indent("", "  ")
		err = enc.Encode(p.Body)
		b.WriteByte('\n')
	case "md":
		err = s.md.ExecuteTemplate(&b, name+".md", p.Body)
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("render %s as %s: %w", name, ext, err))
		return
	}
	serveBody(w, r, pageTypes[ext], b.Bytes(), modified)
}

// formats lists the other formats of the page at path (without extension).
func formats(path string) []alternate {
	return []alternate{
		{"application/json", path + ".json", "JSON"},
		{"application/xml", path + ".xml", "XML"},
		{"text/markdown", path + ".md", "Markdown"},
	}
}

// eventPage serves /events/{id}.html|.json|.xml|.md. A folded event's old
// id redirects to the event it became part of. The page names the
// storyline the event is part of, with the events before and after it.
func (s *server) eventPage(w http.ResponseWriter, r *http.Request) {
	id, ext := splitExt(r.PathValue("file"))
	ev, rels, err := s.st.Event(r.Context(), id)
	if isNotFound(err) {
		s.notFound(w, r, fmt.Sprintf("no event %q: events are linked from / and the briefings", id))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ev.ID != id {
		http.Redirect(w, r, eventPath(ev.ID, ext), http.StatusMovedPermanently)
		return
	}
	recs := map[string]events.Storyline{}
	if ev.Storyline != "" {
		if recs, err = s.st.Storylines(r.Context(), []string{ev.Storyline}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	prev, next := neighbours(recs[ev.Storyline].Events, ev.ID)
	ids := []string{}
	for _, id := range []string{prev, next} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	for _, rel := range rels {
		ids = append(ids, rel.EventID)
	}
	related := map[string]events.Event{}
	if len(ids) > 0 {
		evs, err := s.st.Events(r.Context(), events.Query{IDs: ids})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, e := range evs {
			related[e.ID] = e
		}
	}
	v := newEventView(s.base(r), ev, rels, related)
	v.Storyline = newStorylineRef(s.base(r), ev, recs[ev.Storyline], related)
	p := page{Title: ev.Headline, Body: v, Alternates: formats(eventBase(ev.ID)),
		Timeline: timeline(ev.Sources)}
	s.render(w, r, ext, "event", p, ev.LastUpdated)
}

// briefingPage serves /briefings/{date}.{ext} and the same per topic at
// /topics/{topic}/briefings/{date}.{ext}: the events first seen that UTC day.
func (s *server) briefingPage(w http.ResponseWriter, r *http.Request) {
	date, ext := splitExt(r.PathValue("file"))
	d, err := time.Parse(dayLayout, date)
	if err != nil {
		s.notFound(w, r, fmt.Sprintf("%q is not a date: briefings are named like 2026-11-23.html", date))
		return
	}
	var t Topic
	if name := r.PathValue("topic"); name != "" {
		var ok bool
		if t, ok = s.topic(name); !ok {
			s.notFound(w, r, fmt.Sprintf("no topic %q: see / for the list", name))
			return
		}
	}
	v, err := s.briefing(r, t, d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := page{Title: v.Title, Body: v, Alternates: formats(briefingBase(t.Name, d))}
	s.render(w, r, ext, "briefing", p, v.lastChange)
}

// briefing builds the view of day d for topic t (all topics when t is
// zero): the day's events grouped by storyline, ranked once.
func (s *server) briefing(r *http.Request, t Topic, d time.Time) (briefingView, error) {
	evs, err := s.st.Events(r.Context(), events.Query{Topics: t.selects(), FirstSeenAfter: d, FirstSeenBefore: d.AddDate(0, 0, 1)})
	if err != nil {
		return briefingView{}, err
	}
	v := s.dayView(r, t, d, evs)
	v.Threads, err = s.threads(r.Context(), s.base(r), evs)
	return v, err
}

// dayView is the frame of day d's view (for topic t) listing evs: title,
// links to the days around, last change. Its threads are the caller's.
func (s *server) dayView(r *http.Request, t Topic, d time.Time, evs []events.Event) briefingView {
	base := s.base(r)
	v := briefingView{Date: d.Format(dayLayout), Topic: t.Name, URL: base + briefingPath(t.Name, d, "html"),
		PrevURL: base + briefingPath(t.Name, d.AddDate(0, 0, -1), "html"), Threads: []threadView{},
		Title: "Briefing for " + d.Format("Monday 2 January 2006"), lastChange: lastUpdated(evs)}
	if t.Name != "" {
		v.Title = t.Title + ": briefing for " + d.Format("Monday 2 January 2006")
	}
	if next := d.AddDate(0, 0, 1); !next.After(day(s.opt.Now())) {
		v.NextURL = base + briefingPath(t.Name, next, "html")
	}
	return v
}

// latestPage is /topics/{topic}.html: the page a topic's feeds mirror,
// one event a line, the most recently updated first.
func (s *server) latestPage(w http.ResponseWriter, r *http.Request, t Topic, path string, evs []events.Event) {
	base := s.base(r)
	v := briefingView{Topic: t.Name, Title: t.Title + ": latest events", URL: base + path + ".html", Threads: []threadView{}}
	for _, ev := range evs {
		l := newEventLine(base, ev)
		v.Threads = append(v.Threads, threadView{Count: 1, Sources: l.Sources, Size: l.Size, Events: []eventLine{l}})
	}
	p := page{Title: v.Title, Body: v, Alternates: feedAlternates(path)}
	s.render(w, r, "html", "briefing", p, lastUpdated(evs))
}

// topics returns the configured topics with titles filled in.
func (s *server) topics() []Topic {
	out := make([]Topic, len(s.opt.Topics))
	for i, t := range s.opt.Topics {
		out[i], _ = s.topic(t.Name)
	}
	return out
}

func when(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }
func iso(t time.Time) string  { return t.UTC().Format(time.RFC3339) }

// mdEscape makes text safe in Markdown by escaping only what Markdown
// reads as markup, so "Kim Jong-un" and "U.S." stay as written: anywhere,
// the characters that open emphasis, code, links, raw HTML, tables and
// strikethrough (\ ` * _ [ ] < > | ~) and an & that would start an
// entity; at the start of the text, what starts a block (# + - = and a
// number's "1." or "1)"); at the end, a "#" run that would close a
// heading. Line breaks become spaces: text is one line.
func mdEscape(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\n' || r == '\r':
			b.WriteByte(' ')
			continue
		case strings.ContainsRune("\\`*_[]<>|~", r),
			r == '&' && mdEntity.MatchString(s[i:]),
			i == 0 && strings.ContainsRune("#+-=", r),
			r == '#' && s[i-1] == ' ' && strings.Trim(s[i:], "#") == "", // would close a heading
			(r == '.' || r == ')') && mdListNumber.MatchString(s[:i]):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

var (
	mdEntity     = regexp.MustCompile(`^&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)
	mdListNumber = regexp.MustCompile(`^[0-9]{1,9}$`) // the text so far is a number: "1." would start a list
)

// mdURL makes an http(s) URL safe inside a Markdown <...> destination.
var mdURL = strings.NewReplacer("<", "%3C", ">", "%3E", " ", "%20", "\n", "", "\r", "", "(", "%28", ")", "%29").Replace
