package web

import (
	"encoding/xml"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"

	"herald/events"
	"herald/rank"
)

// The views below are what a page shows. One view feeds all four formats
// of a page (HTML, JSON, XML, Markdown), so they cannot drift apart.

// eventView is an event page.
type eventView struct {
	XMLName     xml.Name      `json:"-" xml:"event"`
	ID          string        `json:"id" xml:"id,attr"`
	URL         string        `json:"url" xml:"url"`
	Headline    string        `json:"headline" xml:"headline"`
	Summary     string        `json:"summary" xml:"summary"`
	FirstSeen   time.Time     `json:"first_seen" xml:"first_seen"`
	LastUpdated time.Time     `json:"last_updated" xml:"last_updated"`
	Size        int           `json:"size" xml:"size"`
	Topics      []string      `json:"topics" xml:"topics>topic"`
	Entities    []string      `json:"entities" xml:"entities>entity"`
	Sources     []sourceView  `json:"sources" xml:"sources>source"`
	ReadAt      []linkView    `json:"read_at" xml:"read_at>site"` // one report per publisher: where readers are sent
	Related     []relatedView `json:"related" xml:"related>event"`
	Storyline   *storylineRef `json:"storyline,omitempty" xml:"storyline,omitempty"`
	BriefingURL string        `json:"briefing_url" xml:"briefing_url"`
}

type sourceView struct {
	Publisher string    `json:"publisher" xml:"publisher"`
	Title     string    `json:"title" xml:"title"`
	URL       string    `json:"url,omitempty" xml:"url,omitempty"` // only http(s)
	Published time.Time `json:"published" xml:"published"`
	Duplicate bool      `json:"duplicate" xml:"duplicate,attr"` // a near copy of an earlier source
	Linked    bool      `json:"linked" xml:"linked,attr"`       // the report of its publisher that readers are sent to
}

// linkView is a publisher of an event with the report readers are sent
// to (rank.Publishers); URL is empty when the publisher has no web link.
type linkView struct {
	Publisher string `json:"publisher" xml:"name,attr"`
	URL       string `json:"url,omitempty" xml:"url,attr,omitempty"`
}

type relatedView struct {
	ID       string   `json:"id" xml:"id,attr"`
	URL      string   `json:"url" xml:"url"`
	Headline string   `json:"headline" xml:"headline"`
	Shared   []string `json:"shared" xml:"shared>entity"`
}

// eventLine is an event in a list: a briefing, the front page, a
// storyline.
type eventLine struct {
	ID          string     `json:"id" xml:"id,attr"`
	URL         string     `json:"url" xml:"url"`
	Headline    string     `json:"headline" xml:"headline"`
	Summary     string     `json:"summary" xml:"summary"`
	FirstSeen   time.Time  `json:"first_seen" xml:"first_seen"`
	LastUpdated time.Time  `json:"last_updated" xml:"last_updated"`
	Size        int        `json:"size" xml:"size"`       // reports
	Sources     int        `json:"sources" xml:"sources"` // independent sources (rank.Independent)
	Topics      []string   `json:"topics" xml:"topics>topic"`
	Publishers  []string   `json:"publishers" xml:"publishers>publisher"`
	ReadAt      []linkView `json:"read_at" xml:"read_at>site"`
}

// briefingView is a day's index page, for all topics or one.
type briefingView struct {
	XMLName    xml.Name     `json:"-" xml:"briefing"`
	Date       string       `json:"date" xml:"date,attr"`
	Topic      string       `json:"topic,omitempty" xml:"topic,attr,omitempty"`
	Title      string       `json:"title" xml:"title"`
	URL        string       `json:"url" xml:"url"`
	PrevURL    string       `json:"prev_url" xml:"prev_url"`
	NextURL    string       `json:"next_url,omitempty" xml:"next_url,omitempty"`
	Threads    []threadView `json:"threads" xml:"threads>thread"` // ranked once each (package rank)
	More       int          `json:"-" xml:"-"`                    // events the front page leaves to the briefing
	lastChange time.Time
}

// newEventView builds an event page's view. related holds the events
// named by rels that still exist.
func newEventView(base string, ev events.Event, rels []events.Relation, related map[string]events.Event) eventView {
	v := eventView{
		ID: ev.ID, URL: base + eventPath(ev.ID, "html"), Headline: ev.Headline, Summary: plainText(ev.Summary),
		FirstSeen: ev.FirstSeen, LastUpdated: ev.LastUpdated, Size: ev.Size,
		Topics: nonNil(ev.Topics), Entities: contextNames(ev.Entities, ev.Sources),
		Sources: []sourceView{}, Related: []relatedView{},
		BriefingURL: base + briefingPath("", day(ev.FirstSeen), "html"),
	}
	for _, src := range ev.Sources {
		v.Sources = append(v.Sources, sourceView{Publisher: src.Publisher, Title: src.Title,
			URL: webURL(src.URL), Published: src.Published, Duplicate: src.Duplicate, Linked: src.Link})
	}
	v.ReadAt = readAt(ev)
	for _, r := range rels {
		if other, ok := related[r.EventID]; ok {
			v.Related = append(v.Related, relatedView{ID: other.ID, URL: base + eventPath(other.ID, "html"),
				Headline: other.Headline, Shared: contextNames(r.Shared, slices.Concat(ev.Sources, other.Sources))})
		}
	}
	return v
}

// newEventLine summarizes an event for a list.
func newEventLine(base string, ev events.Event) eventLine {
	l := eventLine{ID: ev.ID, URL: base + eventPath(ev.ID, "html"), Headline: ev.Headline, Summary: plainText(ev.Summary),
		FirstSeen: ev.FirstSeen, LastUpdated: ev.LastUpdated, Size: ev.Size, Sources: rank.Independent(ev),
		Topics: nonNil(ev.Topics), Publishers: []string{}, ReadAt: readAt(ev)}
	for _, p := range l.ReadAt {
		l.Publishers = append(l.Publishers, p.Publisher)
	}
	return l
}

// readAt lists an event's publishers, each with the report readers are
// sent to: the one the deduplicator marked, not the publisher's first.
func readAt(ev events.Event) []linkView {
	out := []linkView{}
	for _, src := range rank.Publishers(ev) {
		if src.Publisher != "" {
			out = append(out, linkView{Publisher: src.Publisher, URL: webURL(src.URL)})
		}
	}
	return out
}

// lastUpdated is the newest LastUpdated among evs: the Last-Modified of
// a page or feed that shows them.
func lastUpdated(evs []events.Event) time.Time {
	var t time.Time
	for _, ev := range evs {
		if ev.LastUpdated.After(t) {
			t = ev.LastUpdated
		}
	}
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// plainText returns the text of s with any markup taken out and spaces
// collapsed: an event's summary can come from a feed's (sanitized) HTML
// description, and Herald shows summaries as plain text.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	hidden := 0 // inside <script> or <style>, whose text is not text
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			if hidden == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				if tt == html.StartTagToken {
					hidden++
				} else if hidden > 0 {
					hidden--
				}
			}
			b.WriteByte(' ')
		default:
			b.WriteByte(' ')
		}
	}
}
