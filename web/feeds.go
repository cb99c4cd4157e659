package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"herald/events"
	"herald/feeds"
)

// feedLimit is how many events an output feed carries: the most recently
// updated ones.
const feedLimit = 50

// briefingDays is how many past days a briefing feed carries.
const briefingDays = 14

// itemSources bounds the sources listed in a feed item; the event page
// lists them all.
const itemSources = 20

// itemContent is the HTML body of an event's feed item: its summary and
// its first sources. html/template escapes every field; URLs are http(s)
// only.
var itemContent = template.Must(template.New("item").Parse(
	`<p>{{.Summary}}</p><p>{{.Size}} report{{if ne .Size 1}}s{{end}}:</p><ul>` +
		`{{range .Sources}}<li>{{if .URL}}<a href="{{.URL}}">{{.Title}}</a>{{else}}{{.Title}}{{end}}` +
		` ({{.Publisher}}, {{.Published.Format "2006-01-02 15:04 UTC"}})</li>{{end}}</ul>` +
		`{{if .More}}<p><a href="{{.URL}}">{{.More}} more on the event page</a></p>{{end}}`))

// briefingContent is the HTML body of a day's briefing item: its
// threads, a storyline's several events under its name.
var briefingContent = template.Must(template.New("briefing").Parse(
	`{{define "line"}}<a href="{{.URL}}">{{.Headline}}</a> ({{.Sources}} source{{if ne .Sources 1}}s{{end}}` +
		`{{if .Publishers}}: {{range $i, $p := .Publishers}}{{if $i}}, {{end}}{{$p}}{{end}}{{end}}){{end}}` +
		`<ol>{{range .}}<li>{{if gt .Count 1}}<a href="{{.URL}}">{{.Name}}</a>: {{.Count}} events, {{.Sources}} sources` +
		`<ul>{{range .Events}}<li>{{template "line" .}}</li>{{end}}{{range .Rest}}<li>{{template "line" .}}</li>{{end}}</ul>` +
		`{{else}}{{template "line" index .Events 0}}{{end}}</li>{{end}}</ol>`))

// topicFeed serves /topics/{topic}.rss|.atom|.json, and .html: the page
// the feed mirrors.
func (s *server) topicFeed(w http.ResponseWriter, r *http.Request) {
	name, ext := splitExt(r.PathValue("file"))
	t, ok := s.topic(name)
	if !ok {
		s.notFound(w, r, fmt.Sprintf("no topic %q: see / for the list", name))
		return
	}
	evs, err := s.st.Events(r.Context(), events.Query{Topics: t.selects(), Limit: feedLimit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	path := "/topics/" + name
	if ext == "html" {
		s.latestPage(w, r, t, path, evs)
		return
	}
	s.serveEventFeed(w, r, ext, evs, outFeed{
		ID: tagID("feed", "topics/"+name), Title: "Herald: " + t.Title,
		Description: "Events in " + t.Title + ", one item per event, updated as reports join.",
		SelfURL:     s.base(r) + r.URL.Path, PageURL: s.base(r) + path + ".html",
	})
}

// allFeed serves /all.rss|.atom|.json: every topic's events.
func (s *server) allFeed(w http.ResponseWriter, r *http.Request) {
	_, ext := splitExt(strings.TrimPrefix(r.URL.Path, "/"))
	evs, err := s.st.Events(r.Context(), events.Query{Limit: feedLimit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveEventFeed(w, r, ext, evs, outFeed{
		ID: tagID("feed", "all"), Title: "Herald: all topics",
		Description: "Events in every topic, one item per event, updated as reports join.",
		SelfURL:     s.base(r) + r.URL.Path, PageURL: s.base(r) + "/",
	})
}

// serveEventFeed fills f with one item per event and writes it as ext.
func (s *server) serveEventFeed(w http.ResponseWriter, r *http.Request, ext string, evs []events.Event, f outFeed) {
	if feedTypes[ext] == "" {
		s.notFound(w, r, "feeds come as .rss, .atom or .json")
		return
	}
	base := s.base(r)
	for _, ev := range evs {
		it, err := eventItem(base, ev)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.Items = append(f.Items, it)
	}
	f.Updated = feedUpdated(f.Items)
	s.serveFeed(w, r, f, ext)
}

// eventItem is an event as a feed item. Its id never changes; its
// updated time is the event's, which moves when a later report joins.
func eventItem(base string, ev events.Event) (outItem, error) {
	v := newEventView(base, ev, nil, nil)
	more := max(len(v.Sources)-itemSources, 0)
	v.Sources = v.Sources[:len(v.Sources)-more]
	var b bytes.Buffer
	if err := itemContent.Execute(&b, struct {
		eventView
		More int
	}{v, more}); err != nil {
		return outItem{}, fmt.Errorf("feed item for event %s: %w", ev.ID, err)
	}
	// A title is text: readers that render it as HTML must find no tag in
	// it, whatever the store holds.
	return outItem{ID: tagID("event", ev.ID), Title: feeds.StripTags(ev.Headline), Link: v.URL, Summary: v.Summary,
		ContentHTML: b.String(), Published: ev.FirstSeen, Updated: ev.LastUpdated}, nil
}

// briefingFeed serves /topics/{topic}/briefings.rss|.atom|.json: one item
// per past UTC day with events in the topic. A day's item appears once the
// day is over, under an id fixed by topic and date.
func (s *server) briefingFeed(w http.ResponseWriter, r *http.Request) {
	name, ext := splitExt(r.PathValue("file"))
	t, ok := s.topic(r.PathValue("topic"))
	if !ok || name != "briefings" || feedTypes[ext] == "" {
		s.notFound(w, r, "briefing feeds are /topics/{topic}/briefings.rss, .atom or .json")
		return
	}
	today := day(s.opt.Now())
	evs, err := s.st.Events(r.Context(), events.Query{Topics: t.selects(),
		FirstSeenAfter: today.AddDate(0, 0, -briefingDays), FirstSeenBefore: today})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := s.base(r)
	f := outFeed{ID: tagID("feed", "briefings/"+t.Name), Title: "Herald: " + t.Title + " daily briefing",
		Description: "One item per day: the events first seen that day in " + t.Title + ".",
		SelfURL:     base + r.URL.Path, PageURL: base + "/topics/" + t.Name + ".html"}
	for _, d := range byDay(evs) {
		ths, err := s.threads(r.Context(), base, d.events)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		it, err := briefingItem(base, t, d.day, d.events, ths)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.Items = append(f.Items, it)
	}
	f.Updated = feedUpdated(f.Items)
	s.serveFeed(w, r, f, ext)
}

func briefingItem(base string, t Topic, d time.Time, evs []events.Event, ths []threadView) (outItem, error) {
	var heads []string
	for _, th := range ths[:min(3, len(ths))] {
		if th.Count > 1 {
			heads = append(heads, th.Name)
		} else {
			heads = append(heads, th.Events[0].Headline)
		}
	}
	var b bytes.Buffer
	if err := briefingContent.Execute(&b, ths); err != nil {
		return outItem{}, fmt.Errorf("briefing item %s %s: %w", t.Name, d.Format(dayLayout), err)
	}
	end := d.AddDate(0, 0, 1)
	return outItem{
		ID:    tagID("briefing", t.Name+"/"+d.Format(dayLayout)),
		Title: fmt.Sprintf("%s, %s: %d event%s", t.Title, d.Format("Monday 2 January 2006"), len(evs), plural(len(evs))),
		Link:  base + briefingPath(t.Name, d, "html"), Summary: strings.Join(heads, " · "),
		ContentHTML: b.String(), Published: end, Updated: later(end, lastUpdated(evs)),
	}, nil
}

// dayEvents are the events first seen on one UTC day.
type dayEvents struct {
	day    time.Time
	events []events.Event
}

// byDay groups events by the UTC day they were first seen, newest day first.
func byDay(evs []events.Event) []dayEvents {
	var out []dayEvents
	at := map[time.Time]int{}
	for _, ev := range evs {
		d := day(ev.FirstSeen)
		i, ok := at[d]
		if !ok {
			i = len(out)
			at[d] = i
			out = append(out, dayEvents{day: d})
		}
		out[i].events = append(out[i].events, ev)
	}
	slices.SortFunc(out, func(a, b dayEvents) int { return b.day.Compare(a.day) })
	return out
}

// serveFeed encodes f as ext and serves it with validators.
func (s *server) serveFeed(w http.ResponseWriter, r *http.Request, f outFeed, ext string) {
	body, err := f.encode(ext)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	serveBody(w, r, feedTypes[ext], body, f.Updated)
}

// feedUpdated is the newest item update; a feed with no items says it
// has not changed since the epoch, so its bytes stay the same.
func feedUpdated(items []outItem) time.Time {
	t := time.Unix(0, 0).UTC()
	for _, it := range items {
		t = later(t, it.Updated)
	}
	return t
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// topic finds a configured topic by name.
func (s *server) topic(name string) (Topic, bool) {
	for _, t := range s.opt.Topics {
		if t.Name == name {
			if t.Title == "" {
				t.Title = t.Name
			}
			return t, true
		}
	}
	return Topic{}, false
}
