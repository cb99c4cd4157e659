package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"
)

// Parse errors callers branch on. Both mean "keep the stored items and
// validators and retry later", never "the feed now has no items".
var (
	// ErrEmptyBody: the body is empty or only white space, often a
	// transient server fault.
	ErrEmptyBody = errors.New("empty body")
	// errParserPanic marks a panic inside gofeed turned into an error.
	errParserPanic = errors.New("parser panic")
)

// Document is a parsed, normalized feed.
type Document struct {
	Title, SiteURL, Lang string
	Hints                Hints  // RSS ttl, skipHours, skipDays, sy:updatePeriod/Frequency
	Items                []Item // normalized; FeedID and ID are left zero
	// Dropped counts the items beyond MaxItems per document that
	// were left out (the oldest ones); 0 for nearly every feed.
	Dropped int
	// Old counts the items left out because they are dated before
	// ParseOptions.MaxAge.
	Old int
}

// Listed is how many entries the document lists: those in Items and
// those left out.
func (d *Document) Listed() int { return len(d.Items) + d.Dropped + d.Old }

// detectWindow is how much of the body feed-type detection reads: the root
// element follows at most a declaration, comments and a DOCTYPE (which
// Parse removes first).
const detectWindow = 64 << 10

// maxDepth bounds element nesting. Feeds need about 10 levels (a little
// more for XHTML content); 100,000 levels cost gofeed hundreds of MB.
const maxDepth = 1000

// The format translators are stateless and safe to share. The RSS one would
// otherwise parse every item's HTML to find an image, which Herald does not
// use: that scan cost about 10% of Parse on a typical news feed. (The Atom
// and JSON translators do no such scan.)
var (
	rssTranslator  = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	atomTranslator = &gofeed.DefaultAtomTranslator{}
	jsonTranslator = &gofeed.DefaultJSONTranslator{}
)

// Parse decodes a fetched body. contentType is the HTTP Content-Type (may be
// empty); feed gives the feed's URL (the base for relative links when the
// document names no site) and Title (the items' Source); fetchedAt caps
// item dates. Parse does no I/O and never panics: a panic inside gofeed
// comes back as an error.
func Parse(body []byte, contentType string, feed Feed, fetchedAt time.Time) (*Document, error) {
	return ParseWith(body, contentType, feed, fetchedAt, ParseOptions{})
}

// ParseOptions are the operator's additions to how Parse normalizes.
type ParseOptions struct {
	// TrackingParams are query parameters to drop from item links, beyond
	// the built-in list (poll.tracking_params): names, or prefixes ending
	// in "*" like "utm_*"; case-insensitive.
	TrackingParams []string
	// MaxAge, when set, leaves out the items dated more than MaxAge before
	// the fetch: Herald's retention period, past which an item would be
	// pruned anyway. They are left out before their HTML is sanitized.
	// Undated items (which carry the fetch time) are kept.
	MaxAge time.Duration
}

// ParseWith is Parse with options.
func ParseWith(body []byte, contentType string, feed Feed, fetchedAt time.Time, opt ParseOptions) (*Document, error) {
	return parse(body, contentType, feed, fetchedAt, opt, nil)
}

// parse is ParseWith; with a printer, its items carry their prints, and
// those the feed's last document held come back Unchanged (prints.go).
func parse(body []byte, contentType string, feed Feed, fetchedAt time.Time, opt ParseOptions, pr *printer) (*Document, error) {
	extra := newTrackingSet(opt.TrackingParams)
	return catchPanic(func() (*Document, error) {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, fmt.Errorf("parse feed: %w (%d bytes)", ErrEmptyBody, len(body))
		}
		dec := decodeBody(body, contentType)
		gf, hints, dropped, err := parseCapped(dec.body, contentType)
		if err != nil {
			return nil, fmt.Errorf("parse feed: %w", err)
		}
		doc := buildDocument(gf, hints, feed, fetchedAt, opt.MaxAge, extra, pr)
		doc.Dropped += dropped
		return doc, nil
	})
}

// catchPanic runs parse and turns a panic into an error: gofeed has
// panicked on malformed input before, and one bad feed must not stop the
// poller.
func catchPanic(parse func() (*Document, error)) (doc *Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("parse feed: %w: %v", errParserPanic, r)
		}
	}()
	return parse()
}

// parseFormat detects the format and parses it once with gofeed's format
// parser, keeping the RSS fields the universal feed drops (ttl, skipHours,
// skipDays).
func parseFormat(b []byte, contentType string) (*gofeed.Feed, Hints, error) {
	if !isJSON(b) {
		b = dropIllegalCharRefs(stripDTD(b))
		if tooDeep(b, maxDepth) {
			return nil, Hints{}, fmt.Errorf("XML nested deeper than %d elements", maxDepth)
		}
	}
	switch detectType(b) {
	case gofeed.FeedTypeRSS:
		rf, err := (&rss.Parser{}).Parse(bytes.NewReader(b))
		if err != nil {
			return nil, Hints{}, fmt.Errorf("RSS: %w", err)
		}
		gf, err := rssTranslator.Translate(rf)
		return gf, rssHints(rf), err
	case gofeed.FeedTypeAtom:
		af, err := (&atom.Parser{}).Parse(bytes.NewReader(b))
		if err != nil {
			return nil, Hints{}, fmt.Errorf("Atom: %w", err)
		}
		gf, err := atomTranslator.Translate(af)
		return gf, Hints{}, err
	case gofeed.FeedTypeJSON:
		jf, err := (&json.Parser{}).Parse(bytes.NewReader(b))
		if err != nil {
			return nil, Hints{}, fmt.Errorf("JSON Feed: %w", err)
		}
		gf, err := jsonTranslator.Translate(jf)
		return gf, Hints{}, err
	}
	return nil, Hints{}, fmt.Errorf("%w: %s", ErrNotFeed, describe(b, contentType))
}

// detectType is gofeed.DetectFeedType on the least of b that will do. It
// copies what it is given (8% of the bytes Parse allocated), and the root
// element usually starts within the first few hundred bytes: a window that
// ends with the root's start tag gives the same answer when it gives one.
// (A '>' inside an attribute value cuts the tag short; the whole window
// then decides.)
func detectType(b []byte) gofeed.FeedType {
	window := b[:min(len(b), detectWindow)]
	if _, root := prolog(window); root >= 0 {
		end := indexPast(window, root, ">")
		if t := gofeed.DetectFeedType(bytes.NewReader(window[:end])); t != gofeed.FeedTypeUnknown {
			return t
		}
	}
	return gofeed.DetectFeedType(bytes.NewReader(window))
}

// buildDocument normalizes the feed and its items.
func buildDocument(gf *gofeed.Feed, hints Hints, feed Feed, fetchedAt time.Time, maxAge time.Duration, extra trackingSet, pr *printer) *Document {
	feedBase := parseBase(feed.URL)
	doc := &Document{
		Title:   xmlText(plainText(gf.Title, maxTitleLen)),
		SiteURL: resolveURL(feedBase, gf.Link, extra),
		Lang:    normalizeLang(gf.Language),
		Hints:   hints,
	}
	doc.Hints.UpdateEvery = updateEvery(gf.Extensions)
	// Relative item links are resolved against the site when the document
	// names one: a feed served by a proxy host (feedburner) links to the
	// publisher's pages, not the proxy's.
	base := parseBase(doc.SiteURL)
	if base == nil {
		base = feedBase
	}
	source := strings.TrimSpace(feed.Title)
	if source == "" {
		source = doc.Title
	}
	kept, dropped := newestItems(gf.Items, MaxItems)
	if maxAge > 0 {
		kept, doc.Old = recentItems(kept, fetchedAt.Add(-maxAge))
	}
	doc.Items = normalizeItems(kept, base, source, doc.Lang, fetchedAt, extra, pr)
	doc.Dropped = dropped
	return doc
}

// describe names what a body that is not a feed looks like, for the error.
func describe(b []byte, contentType string) string {
	head := bytes.TrimSpace(b[:min(len(b), 512)])
	lower := strings.ToLower(string(head))
	var seen string
	switch {
	case strings.Contains(lower, "<html") || strings.HasPrefix(lower, "<!doctype html"):
		seen = "an HTML page"
		if t := htmlTitle(b); t != "" {
			seen += fmt.Sprintf(" titled %q", t)
		}
	case strings.HasPrefix(lower, "<"):
		seen = "XML without an rss, RDF or feed root"
		if name := rootName(b); name != "" {
			seen = fmt.Sprintf("XML with root <%s>", name)
		}
	default:
		seen = fmt.Sprintf("content starting with %q", truncate(string(head), 40))
	}
	if contentType != "" {
		seen += fmt.Sprintf(" (Content-Type %s)", contentType)
	}
	return seen
}

var htmlTitleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title`)

// htmlTitle returns the title of an HTML page, which usually says what went
// wrong ("Just a moment...", "Access denied").
func htmlTitle(b []byte) string {
	m := htmlTitleRe.FindSubmatch(b[:min(len(b), detectWindow)])
	if m == nil {
		return ""
	}
	return plainText(string(m[1]), 80)
}
