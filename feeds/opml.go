package feeds

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/net/html/charset"
)

// OPMLFeed is one feed of an OPML subscription list: its outline's text
// (or title) as Title and htmlUrl as SiteURL. Topic is the text of the
// outline that encloses it ("" at the top level).
type OPMLFeed struct {
	URL, Title, Topic, SiteURL string
}

// OPMLSkip is an outline ReadOPML left out, and why.
type OPMLSkip struct {
	Title, URL, Reason string
}

// maxOPMLSize bounds what ReadOPML reads: real subscription lists are a few
// hundred KB.
const maxOPMLSize = 10 << 20

// opmlOutline reads every attribute, because exporters disagree on the
// spelling (xmlUrl, xmlURL, xmlurl).
type opmlOutline struct {
	Attrs    []xml.Attr    `xml:",any,attr"`
	Outlines []opmlOutline `xml:"outline"`
}

type opmlDoc struct {
	XMLName xml.Name
	Body    struct {
		Outlines []opmlOutline `xml:"outline"`
	} `xml:"body"`
}

// ReadOPML reads the feeds of an OPML 1.0 or 2.0 subscription list. An
// outline with an xmlUrl attribute is a feed whatever its type; an outline
// without one is a folder whose text (or title) becomes the topic of the
// feeds inside it, the innermost folder winning. Feeds whose URL is not an
// http(s) address (javascript:, data:, file:, a relative or broken URL)
// are left out and returned as skipped, with the reason. A URL listed
// twice in one topic is kept once; in two topics, twice (WriteOPML writes
// a feed into each of its topics).
func ReadOPML(r io.Reader) ([]OPMLFeed, []OPMLSkip, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxOPMLSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read OPML: %w", err)
	}
	if len(b) > maxOPMLSize {
		return nil, nil, fmt.Errorf("read OPML: the file is larger than %d MiB, more than any subscription list needs: split it into smaller files and import each", maxOPMLSize>>20)
	}
	dec := decodeBody(b, "")
	d := xml.NewDecoder(bytes.NewReader(dec.body))
	d.Strict = false // exporters leave & unescaped in titles and URLs
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charset.NewReaderLabel
	var doc opmlDoc
	if err := d.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, errors.New("read OPML: no <opml> element")
		}
		return nil, nil, fmt.Errorf("read OPML: %w", err)
	}
	if !strings.EqualFold(doc.XMLName.Local, "opml") {
		return nil, nil, fmt.Errorf("read OPML: root element is <%s>, not <opml>", doc.XMLName.Local)
	}
	var l opmlList
	l.seen = map[string]bool{}
	l.collect(doc.Body.Outlines, "")
	return l.feeds, l.skipped, nil
}

// opmlList gathers the feeds of a document, and what it left out.
type opmlList struct {
	feeds   []OPMLFeed
	skipped []OPMLSkip
	seen    map[string]bool // URL and topic
}

// collect walks outlines depth first, in document order.
func (l *opmlList) collect(outlines []opmlOutline, topic string) {
	for _, o := range outlines {
		name := firstNonEmpty(attr(o, "text"), attr(o, "title"))
		raw := attr(o, "xmlUrl")
		if raw == "" {
			l.collect(o.Outlines, firstNonEmpty(name, topic))
			continue
		}
		f := OPMLFeed{URL: CanonicalURL(strings.Replace(raw, "feed://", "http://", 1)), Title: name,
			Topic: feedTopic(o, topic), SiteURL: CanonicalURL(attr(o, "htmlUrl"))}
		switch key := f.URL + "\n" + f.Topic; {
		case f.URL == "":
			l.skipped = append(l.skipped, OPMLSkip{Title: name, URL: clipURL(raw), Reason: skipReason(raw)})
		case !l.seen[key]:
			l.seen[key] = true
			l.feeds = append(l.feeds, f)
		}
		l.collect(o.Outlines, topic)
	}
}

// skipReason says why a feed URL cannot be subscribed to.
func skipReason(raw string) string {
	scheme, _, found := strings.Cut(raw, ":")
	scheme = strings.ToLower(strings.TrimSpace(scheme))
	switch {
	case !found || strings.ContainsAny(scheme, "/?#"):
		return "not an absolute URL"
	case scheme == "http" || scheme == "https":
		return "not a valid web address"
	}
	return scheme + ": URLs are not feeds Herald can fetch (only http and https)"
}

// clipURL shortens a URL for a message: a data: URL can be megabytes.
func clipURL(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// feedTopic is the enclosing folder, or else the first of the outline's own
// category attribute ("/News/World,/Tech" gives "News/World").
func feedTopic(o opmlOutline, folder string) string {
	if folder != "" {
		return folder
	}
	first, _, _ := strings.Cut(attr(o, "category"), ",")
	return strings.Trim(strings.TrimSpace(first), "/")
}

// attr returns an outline attribute by case-insensitive name, trimmed.
func attr(o opmlOutline, name string) string {
	for _, a := range o.Attrs {
		if strings.EqualFold(a.Name.Local, name) {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// opmlOut is the shape WriteOPML emits.
type opmlOut struct {
	XMLName xml.Name     `xml:"opml"`
	Version string       `xml:"version,attr"`
	Title   string       `xml:"head>title"`
	Body    []outOutline `xml:"body>outline"`
}

type outOutline struct {
	Text     string       `xml:"text,attr"`
	Title    string       `xml:"title,attr,omitempty"`
	Type     string       `xml:"type,attr,omitempty"`
	XMLURL   string       `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string       `xml:"htmlUrl,attr,omitempty"`
	Outlines []outOutline `xml:"outline"`
}

// WriteOPML writes feeds as an OPML 2.0 subscription list: feeds without a
// topic at the top level, the others inside one folder outline per topic,
// in the order they first appear.
func WriteOPML(w io.Writer, title string, feeds []OPMLFeed) error {
	doc := opmlOut{Version: "2.0", Title: title}
	folders := map[string]int{} // topic -> index in doc.Body
	for _, f := range feeds {
		o := outOutline{Text: firstNonEmpty(f.Title, f.URL), Title: f.Title, Type: "rss", XMLURL: f.URL, HTMLURL: f.SiteURL}
		if f.Topic == "" {
			doc.Body = append(doc.Body, o)
			continue
		}
		i, ok := folders[f.Topic]
		if !ok {
			i = len(doc.Body)
			folders[f.Topic] = i
			doc.Body = append(doc.Body, outOutline{Text: f.Topic, Title: f.Topic})
		}
		doc.Body[i].Outlines = append(doc.Body[i].Outlines, o)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	if err != nil {
		return fmt.Errorf("write OPML: %w", err)
	}
	return nil
}
