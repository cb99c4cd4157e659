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

// OPMLFeed is one feed of an OPML subscription list. Topic is the text of
// the outline that encloses it ("" at the top level).
type OPMLFeed struct {
	URL, Title, Topic string
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
// feeds inside it, the innermost folder winning. Feeds with a URL that is
// not http(s) are skipped. A URL listed twice in one topic is kept once; in
// two topics, twice (WriteOPML writes a feed into each of its topics).
func ReadOPML(r io.Reader) ([]OPMLFeed, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxOPMLSize+1))
	if err != nil {
		return nil, fmt.Errorf("read OPML: %w", err)
	}
	if len(b) > maxOPMLSize {
		return nil, fmt.Errorf("read OPML: larger than %d bytes", maxOPMLSize)
	}
	dec := decodeBody(b, "")
	d := xml.NewDecoder(bytes.NewReader(dec.body))
	d.Strict = false // exporters leave & unescaped in titles and URLs
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charset.NewReaderLabel
	var doc opmlDoc
	if err := d.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("read OPML: no <opml> element")
		}
		return nil, fmt.Errorf("read OPML: %w", err)
	}
	if !strings.EqualFold(doc.XMLName.Local, "opml") {
		return nil, fmt.Errorf("read OPML: root element is <%s>, not <opml>", doc.XMLName.Local)
	}
	var feeds []OPMLFeed
	seen := map[string]bool{}
	collectOPML(doc.Body.Outlines, "", &feeds, seen)
	return feeds, nil
}

// collectOPML walks outlines depth first, appending feeds in document order.
func collectOPML(outlines []opmlOutline, topic string, feeds *[]OPMLFeed, seen map[string]bool) {
	for _, o := range outlines {
		name := firstNonEmpty(attr(o, "text"), attr(o, "title"))
		raw := attr(o, "xmlUrl")
		if raw == "" {
			collectOPML(o.Outlines, firstNonEmpty(name, topic), feeds, seen)
			continue
		}
		f := OPMLFeed{URL: CanonicalURL(strings.Replace(raw, "feed://", "http://", 1)), Title: name, Topic: feedTopic(o, topic)}
		if key := f.URL + "\n" + f.Topic; f.URL != "" && !seen[key] {
			seen[key] = true
			*feeds = append(*feeds, f)
		}
		collectOPML(o.Outlines, topic, feeds, seen)
	}
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
	Outlines []outOutline `xml:"outline"`
}

// WriteOPML writes feeds as an OPML 2.0 subscription list: feeds without a
// topic at the top level, the others inside one folder outline per topic,
// in the order they first appear.
func WriteOPML(w io.Writer, title string, feeds []OPMLFeed) error {
	doc := opmlOut{Version: "2.0", Title: title}
	folders := map[string]int{} // topic -> index in doc.Body
	for _, f := range feeds {
		o := outOutline{Text: firstNonEmpty(f.Title, f.URL), Title: f.Title, Type: "rss", XMLURL: f.URL}
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
