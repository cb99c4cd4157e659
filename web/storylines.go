package web

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"net/http"
	"slices"
	"time"

	"herald/events"
	"herald/feeds"
)

// storylineView is a storyline's page: a thread of events, oldest first.
type storylineView struct {
	XMLName     xml.Name    `json:"-" xml:"storyline"`
	ID          string      `json:"id" xml:"id,attr"`
	URL         string      `json:"url" xml:"url"`
	Name        string      `json:"name" xml:"name"`
	FirstSeen   time.Time   `json:"first_seen" xml:"first_seen"`
	LastUpdated time.Time   `json:"last_updated" xml:"last_updated"`
	Size        int         `json:"size" xml:"size"`       // reports in its events
	Sources     int         `json:"sources" xml:"sources"` // its events' independent sources, summed
	Entities    []string    `json:"entities" xml:"entities>entity"`
	Events      []eventLine `json:"events" xml:"events>event"` // oldest first
	FeedURL     string      `json:"feed_url" xml:"feed_url"`   // its RSS feed
}

// storylineRef is what an event page says of the storyline it is part of:
// its name and the events just before and after it in the thread.
type storylineRef struct {
	ID       string         `json:"id" xml:"id,attr"`
	URL      string         `json:"url" xml:"url"`
	Name     string         `json:"name" xml:"name"`
	Events   int            `json:"events" xml:"events"`
	Previous *neighbourView `json:"previous,omitempty" xml:"previous,omitempty"`
	Next     *neighbourView `json:"next,omitempty" xml:"next,omitempty"`
}

type neighbourView struct {
	ID        string    `json:"id" xml:"id,attr"`
	URL       string    `json:"url" xml:"url"`
	Headline  string    `json:"headline" xml:"headline"`
	FirstSeen time.Time `json:"first_seen" xml:"first_seen"`
}

func newStorylineView(base string, st events.Storyline, evs []events.Event) storylineView {
	v := storylineView{ID: st.ID, URL: base + storylinePath(st.ID, "html"), Name: storylineName(st, evs),
		FirstSeen: st.FirstSeen, LastUpdated: st.LastUpdated, Size: st.Size, Events: []eventLine{},
		FeedURL: base + storylinePath(st.ID, "rss")}
	for _, ev := range evs {
		l := newEventLine(base, ev)
		v.Sources += l.Sources
		v.Events = append(v.Events, l)
	}
	v.Entities = contextNames(st.Entities, allSources(evs))
	return v
}

func allSources(evs []events.Event) []events.Source {
	var out []events.Source
	for _, ev := range evs {
		out = append(out, ev.Sources...)
	}
	return out
}

// storylineFormats names the formats of /storylines/{id}: the page's and
// the feed's. Its .json is the JSON Feed, which carries the page's view as
// the extension member "_storyline".
const storylineFormats = "storylines come as .html, .xml, .md (pages), .rss, .atom or .json (feeds)"

// storyline serves /storylines/{id}.html|.xml|.md, the page, and
// .rss|.atom|.json, its feed. A storyline folded into another redirects to
// it (301, as a folded event does), so old links and subscriptions follow
// the thread.
func (s *server) storyline(w http.ResponseWriter, r *http.Request) {
	id, ext := splitExt(r.PathValue("file"))
	if pageTypes[ext] == "" && feedTypes[ext] == "" {
		s.notFound(w, r, storylineFormats)
		return
	}
	st, evs, err := s.st.Storyline(r.Context(), id)
	if isNotFound(err) {
		s.notFound(w, r, fmt.Sprintf("no storyline %q: storylines are linked from /, the briefings and the event pages", id))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if st.ID != id {
		http.Redirect(w, r, storylinePath(st.ID, ext), http.StatusMovedPermanently)
		return
	}
	base := s.base(r)
	v := newStorylineView(base, st, evs)
	if feedTypes[ext] != "" {
		s.storylineFeed(w, r, ext, v, evs)
		return
	}
	p := page{Title: v.Name, Body: v, Timeline: timeline(allSources(evs)), Alternates: append(feedAlternates(storylineBase(st.ID)),
		alternate{"application/xml", storylineBase(st.ID) + ".xml", "XML"}, alternate{"text/markdown", storylineBase(st.ID) + ".md", "Markdown"})}
	s.render(w, r, ext, "storyline", p, st.LastUpdated)
}

// storylineFeed serves a storyline's events as a feed, one item per
// event under the same id as in every other feed, the most recently
// updated first.
func (s *server) storylineFeed(w http.ResponseWriter, r *http.Request, ext string, v storylineView, evs []events.Event) {
	evs = slices.Clone(evs)
	slices.SortStableFunc(evs, func(a, b events.Event) int {
		return cmp.Or(b.LastUpdated.Compare(a.LastUpdated), cmp.Compare(a.ID, b.ID))
	})
	base := s.base(r)
	f := outFeed{ID: tagID("feed", "storylines/"+v.ID), Title: "Herald: " + feeds.StripTags(v.Name),
		// The name comes from the reports' text: the title is plain text
		// everywhere, a description is read as HTML by some readers.
		Description: "The events of one storyline, one item per event, updated as reports join.",
		SelfURL:     base + storylinePath(v.ID, ext), PageURL: v.URL, Storyline: v}
	s.serveEventFeed(w, r, ext, evs[:min(len(evs), feedLimit)], f)
}

// feedAlternates are the feeds of the page at path.
func feedAlternates(path string) []alternate {
	return []alternate{{"application/rss+xml", path + ".rss", "RSS"}, {"application/atom+xml", path + ".atom", "Atom"},
		{"application/feed+json", path + ".json", "JSON Feed"}}
}

// newStorylineRef says where ev stands in its storyline: rec is the
// storyline's record (its events' ids, oldest first), known holds the
// events read for the page (ev's neighbours among them).
func newStorylineRef(base string, ev events.Event, rec events.Storyline, known map[string]events.Event) *storylineRef {
	if ev.Storyline == "" {
		return nil
	}
	ref := &storylineRef{ID: ev.Storyline, URL: base + storylinePath(ev.Storyline, "html"), Events: max(len(rec.Events), 1)}
	prev, next := neighbours(rec.Events, ev.ID)
	named := []events.Event{ev}
	if e, ok := known[prev]; ok {
		ref.Previous = &neighbourView{ID: e.ID, URL: base + eventPath(e.ID, "html"), Headline: e.Headline, FirstSeen: e.FirstSeen}
		named = append(named, e)
	}
	if e, ok := known[next]; ok {
		ref.Next = &neighbourView{ID: e.ID, URL: base + eventPath(e.ID, "html"), Headline: e.Headline, FirstSeen: e.FirstSeen}
		named = append(named, e)
	}
	ref.Name = storylineName(rec, named)
	return ref
}

// neighbours returns the ids just before and after id in ids ("" when
// there is none).
func neighbours(ids []string, id string) (prev, next string) {
	i := slices.Index(ids, id)
	if i < 0 {
		return "", ""
	}
	if i > 0 {
		prev = ids[i-1]
	}
	if i+1 < len(ids) {
		next = ids[i+1]
	}
	return prev, next
}
