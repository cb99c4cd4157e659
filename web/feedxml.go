package web

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"time"

	"github.com/gorilla/feeds"
)

// outFeed is an output feed before it is written in one format.
type outFeed struct {
	ID          string // tag: URI, stable
	Title       string
	Description string
	SelfURL     string // the feed's own address
	PageURL     string // the HTML page it mirrors
	Updated     time.Time
	Items       []outItem
	// Storyline is a storyline feed's page view, written in the JSON Feed
	// as the extension member "_storyline" (nil: none).
	Storyline any
}

// outItem is one entry: an event, or a day's briefing.
type outItem struct {
	ID          string // tag: URI, stable: readers key on it
	Title       string
	Link        string
	Summary     string // plain text
	ContentHTML string // escaped HTML built by html/template
	Published   time.Time
	Updated     time.Time // moves when the event grows
}

// feedTTL is both the RSS <ttl> and the Cache-Control max-age of feeds.
const feedTTL = 5 * time.Minute

// feed content types, by extension.
var feedTypes = map[string]string{
	"rss":  "application/rss+xml; charset=utf-8",
	"atom": "application/atom+xml; charset=utf-8",
	"json": "application/feed+json; charset=utf-8",
}

// encode writes f in the format named by ext ("rss", "atom" or "json").
func (f outFeed) encode(ext string) ([]byte, error) {
	switch ext {
	case "rss":
		return f.rss()
	case "atom":
		return f.atom()
	case "json":
		return f.json()
	}
	return nil, fmt.Errorf("feed format %q: %w", ext, ErrNotFound)
}

// gorilla turns f into gorilla/feeds' neutral form.
func (f outFeed) gorilla() *feeds.Feed {
	gf := &feeds.Feed{
		Title: f.Title, Description: f.Description, Link: &feeds.Link{Href: f.PageURL},
		Author: &feeds.Author{Name: "Herald"}, Updated: f.Updated, Id: f.ID,
	}
	for _, it := range f.Items {
		gf.Items = append(gf.Items, &feeds.Item{
			Id: it.ID, IsPermaLink: "false", Title: it.Title, Link: &feeds.Link{Href: it.Link},
			// RSS descriptions and gorilla's Atom summaries are HTML: escape the text.
			Description: html.EscapeString(it.Summary), Content: it.ContentHTML, Created: it.Published, Updated: it.Updated,
		})
	}
	return gf
}

// atomSelf is the atom:link rel="self" that RSS 2.0 feeds should carry.
type atomSelf struct {
	XMLName xml.Name `xml:"atom:link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr"`
	Type    string   `xml:"type,attr"`
}

// rssDoc and rssChannel wrap gorilla's channel to add the namespaces and
// the self link it leaves out.
type rssDoc struct {
	XMLName   xml.Name `xml:"rss"`
	Version   string   `xml:"version,attr"`
	ContentNS string   `xml:"xmlns:content,attr"`
	AtomNS    string   `xml:"xmlns:atom,attr"`
	Channel   rssChannel
}

type rssChannel struct {
	XMLName xml.Name `xml:"channel"`
	Self    atomSelf
	*feeds.RssFeed
}

// rss writes RSS 2.0. gorilla's pubDate prefers Created; an item's
// <pubDate> is when the event was first seen, and the guid never changes.
func (f outFeed) rss() ([]byte, error) {
	rf := (&feeds.Rss{Feed: f.gorilla()}).RssFeed()
	rf.ManagingEditor = "" // RSS wants an email address there; Herald has none to give
	rf.Ttl = int(feedTTL / time.Minute)
	rf.Generator = "Herald"
	for _, it := range rf.Items {
		it.Author = ""
	}
	doc := rssDoc{
		Version: "2.0", ContentNS: "http://purl.org/rss/1.0/modules/content/", AtomNS: "http://www.w3.org/2005/Atom",
		Channel: rssChannel{Self: atomSelf{Href: f.SelfURL, Rel: "self", Type: "application/rss+xml"}, RssFeed: rf},
	}
	return marshalXML(doc)
}

// atomDoc wraps gorilla's feed to give it a self and an alternate link
// (gorilla writes one link and uses its href as the feed id).
type atomDoc struct {
	XMLName xml.Name         `xml:"feed"`
	Links   []feeds.AtomLink `xml:"link"`
	*feeds.AtomFeed
}

func (f outFeed) atom() ([]byte, error) {
	af := (&feeds.Atom{Feed: f.gorilla()}).AtomFeed()
	af.Id, af.Link = f.ID, nil
	for i, e := range af.Entries {
		e.Published = f.Items[i].Published.Format(time.RFC3339)
	}
	doc := atomDoc{AtomFeed: af, Links: []feeds.AtomLink{
		{Href: f.SelfURL, Rel: "self", Type: "application/atom+xml"},
		{Href: f.PageURL, Rel: "alternate", Type: "text/html"},
	}}
	return marshalXML(doc)
}

// jsonDoc is gorilla's JSON Feed with Herald's extension member.
type jsonDoc struct {
	*feeds.JSONFeed
	Storyline any `json:"_storyline,omitempty"`
}

// json writes JSON Feed 1.1, adding the feed_url gorilla leaves out.
func (f outFeed) json() ([]byte, error) {
	jf := (&feeds.JSON{Feed: f.gorilla()}).JSONFeed()
	jf.FeedUrl = f.SelfURL
	jf.Author = nil // deprecated in 1.1; Authors stays
	for i, it := range jf.Items {
		it.Author, it.Summary = nil, f.Items[i].Summary // JSON Feed's summary is plain text
	}
	b, err := json.MarshalIndent(jsonDoc{JSONFeed: jf, Storyline: f.Storyline}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write JSON feed: %w", err)
	}
	return append(b, '\n'), nil
}

func marshalXML(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write feed: %w", err)
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}
