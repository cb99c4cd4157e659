package webhook

import (
	"net/url"
	"strings"
	"time"

	"herald/digest"
	"herald/rank"
)

// Payload is the JSON a webhook receives: the digest's threads with the
// fields of the /briefings/{date}.json page, plus who it is for, the
// period it covers and its key.
type Payload struct {
	Key        string     `json:"key"` // also the Idempotency-Key header
	Subscriber subscriber `json:"subscriber"`
	Period     period     `json:"period"`
	Title      string     `json:"title"` // the subject line of the email form
	Threads    []thread   `json:"threads"`
}

type subscriber struct {
	Email  string   `json:"email"`
	Name   string   `json:"name,omitempty"`
	Topics []string `json:"topics"`
}

type period struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Late  bool      `json:"late"` // Herald was not running when it was due
}

// thread is a storyline's events, as on a briefing page.
type thread struct {
	Storyline string  `json:"storyline,omitempty"`
	Name      string  `json:"name,omitempty"`
	URL       string  `json:"url,omitempty"`
	Count     int     `json:"count"`
	Sources   int     `json:"sources"`
	Events    []event `json:"events"`
	More      int     `json:"more,omitempty"` // its events of the period left out
	Earlier   int     `json:"earlier,omitempty"`
}

// event is an event line of a briefing page, and whether it returns as an
// update (with the sources it had when last sent).
type event struct {
	ID          string      `json:"id"`
	URL         string      `json:"url,omitempty"`
	Headline    string      `json:"headline"`
	Summary     string      `json:"summary"`
	FirstSeen   time.Time   `json:"first_seen"`
	LastUpdated time.Time   `json:"last_updated"`
	Size        int         `json:"size"`
	Sources     int         `json:"sources"`
	Topics      []string    `json:"topics"`
	Publishers  []string    `json:"publishers"`
	ReadAt      []publisher `json:"read_at"`
	Update      bool        `json:"update"`
	Was         int         `json:"was,omitempty"`
}

type publisher struct {
	Publisher string `json:"publisher"`
	URL       string `json:"url,omitempty"`
}

// NewPayload is the webhook form of d; links point under publicURL when
// it is set.
func NewPayload(d digest.Digest, publicURL string) Payload {
	base := strings.TrimRight(publicURL, "/")
	p := Payload{Key: digest.Key(d.Subscriber.Email, d.Period.End), Title: digest.Subject(d), Threads: []thread{},
		Subscriber: subscriber{Email: d.Subscriber.Email, Name: d.Subscriber.Name, Topics: orEmpty(d.Subscriber.Topics)},
		Period:     period{Start: d.Period.Start.UTC(), End: d.Period.End.UTC(), Late: d.Period.Late}}
	for _, t := range d.Threads {
		th := thread{Storyline: t.Storyline, Name: t.Name, Count: len(t.Entries), Sources: t.Sources, More: t.More,
			Earlier: t.Earlier}
		if base != "" && t.Storyline != "" {
			th.URL = base + "/storylines/" + url.PathEscape(t.Storyline) + ".html"
		}
		for _, e := range t.Entries {
			th.Events = append(th.Events, newEvent(e, base))
		}
		p.Threads = append(p.Threads, th)
	}
	return p
}

func newEvent(e digest.Entry, base string) event {
	ev := e.Event
	out := event{ID: ev.ID, Headline: ev.Headline, Summary: ev.Summary, FirstSeen: ev.FirstSeen,
		LastUpdated: ev.LastUpdated, Size: ev.Size, Sources: e.Sources, Topics: orEmpty(ev.Topics),
		Publishers: []string{}, ReadAt: []publisher{}, Update: e.Update, Was: e.Was}
	if base != "" {
		out.URL = base + "/events/" + url.PathEscape(ev.ID) + ".html"
	}
	for _, s := range rank.Publishers(ev) {
		if s.Publisher == "" {
			continue
		}
		out.Publishers = append(out.Publishers, s.Publisher)
		out.ReadAt = append(out.ReadAt, publisher{Publisher: s.Publisher, URL: webURL(s.URL)})
	}
	return out
}

// webURL keeps only http(s) links: sources come from strangers' feeds.
func webURL(s string) string {
	if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return s
	}
	return ""
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
