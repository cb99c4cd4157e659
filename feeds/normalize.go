package feeds

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/language"
)

// MaxItems bounds the items taken from one document: the newest ones
// (see newestItems).
const MaxItems = 2000

const (
	// maxGUIDLen: a longer feed guid is stored as its hash.
	maxGUIDLen = 512
)

// earliestDate: feeds did not exist before it, so an earlier date is a
// placeholder (the epoch, year 1) and is treated as missing.
var earliestDate = time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)

// normalizeItems turns gofeed items into Items: canonical URLs first, then
// cleaned fields, dates, identity keys and content hashes. With a printer,
// an entry the feed's last document held as it is comes back Unchanged,
// without its body (prints.go).
func normalizeItems(raw []*gofeed.Item, base *url.URL, source, lang string, fetchedAt time.Time, extra trackingSet, pr *printer) []Item {
	items := make([]Item, 0, len(raw))
	var keys []guidKeys
	var entries []*gofeed.Item
	for _, r := range raw {
		if r == nil {
			continue
		}
		it, k := normalizeHead(r, base, fetchedAt, extra)
		if k.url == "" && k.date == "" && k.title == "" {
			normalizeBody(&it, r, base) // only its text tells it apart (lastResortKey)
			k.text = it.Text
		}
		it.Source, it.Lang = source, lang
		items, keys, entries = append(items, it), append(keys, k), append(entries, r)
	}
	assignGUIDs(items, keys)
	for i, r := range entries {
		it := &items[i]
		if pr != nil {
			it.Print = pr.print(r, it, base)
		}
		switch {
		case it.Hash != "": // read above
		case pr != nil && pr.known(it.Print):
			it.Unchanged = true
		default:
			normalizeBody(it, r, base)
		}
	}
	return items
}

// newestItems returns the n newest items of raw, in document order, and
// how many it left out. Most feeds list the newest first, but some append
// (oldest first): taking the first n of a long one of those would keep its
// oldest items forever, which retention then drops, so nothing new would
// ever be stored. Items are ranked by date; undated ones rank after dated
// ones, in document order, so a feed without dates keeps its first n.
func newestItems(raw []*gofeed.Item, n int) (kept []*gofeed.Item, dropped int) {
	if len(raw) <= n {
		return raw, 0
	}
	order := make([]int, len(raw))
	dates := make([]time.Time, len(raw))
	for i, r := range raw {
		order[i] = i
		if r != nil {
			dates[i] = itemDate(r)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return dates[b].Compare(dates[a]) })
	order = order[:n]
	slices.Sort(order)
	kept = make([]*gofeed.Item, n)
	for i, k := range order {
		kept[i] = raw[k]
	}
	return kept, len(raw) - n
}

// recentItems returns the items of raw dated at or after cut, undated ones
// included, and how many it left out.
func recentItems(raw []*gofeed.Item, cut time.Time) (kept []*gofeed.Item, old int) {
	kept = raw[:0:0]
	for _, r := range raw {
		if r != nil {
			if d := itemDate(r); !d.IsZero() && d.Before(cut) {
				old++
				continue
			}
		}
		kept = append(kept, r)
	}
	return kept, old
}

// itemDate is the date an item ranks and ages by: published, else
// updated; zero when it has neither.
func itemDate(r *gofeed.Item) time.Time {
	if d := validDate(r.PublishedParsed); !d.IsZero() {
		return d
	}
	return validDate(r.UpdatedParsed)
}

// normalizeHead reads what an entry's identity is made of: its link, title,
// author and dates.
func normalizeHead(r *gofeed.Item, base *url.URL, fetchedAt time.Time, extra trackingSet) (Item, guidKeys) {
	it := Item{
		URL:    resolveURL(base, itemLink(r), extra),
		Title:  xmlText(plainText(r.Title, maxTitleLen)),
		Author: xmlText(itemAuthor(r)),
	}
	published, updated := validDate(r.PublishedParsed), validDate(r.UpdatedParsed)
	it.Published, it.Updated = itemDates(published, updated, fetchedAt)
	k := guidKeys{guid: xmlText(strings.TrimSpace(r.GUID)), url: it.URL, title: it.Title}
	if !published.IsZero() {
		k.date = published.Format(time.RFC3339)
	}
	return it, k
}

// normalizeBody reads the rest, the dear part: the entry's HTML sanitized,
// its plain text and its content hash.
func normalizeBody(it *Item, r *gofeed.Item, base *url.URL) {
	it.Summary = xmlText(sanitizeHTML(r.Description, base))
	if r.Content != r.Description { // some feeds repeat the article in both
		it.Content = xmlText(sanitizeHTML(r.Content, base))
	}
	it.Text = itemText(it.Summary, it.Content)
	it.Hash = contentHash(it.Title, it.Text, it.URL)
}

// xmlText drops the characters XML cannot carry (controls, U+FFFE,
// U+FFFF). XML feeds never hold them, but a JSON Feed can ("\u0001"), and
// every stored field ends up in Herald's own RSS and Atom.
func xmlText(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !isXMLChar(r) }) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !isXMLChar(r) {
			return -1
		}
		return r
	}, s)
}

// itemLink prefers feedburner:origLink (the publisher's URL rather than a
// feedburner redirect), then the link, then the first of the links, then a
// guid that is a URL (RSS guids are permalinks by default).
func itemLink(r *gofeed.Item) string {
	if fb, ok := r.Extensions["feedburner"]; ok {
		for _, e := range fb["origLink"] {
			if v := strings.TrimSpace(e.Value); v != "" {
				return v
			}
		}
	}
	if l := strings.TrimSpace(r.Link); l != "" {
		return l
	}
	for _, l := range r.Links {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	if g := strings.TrimSpace(r.GUID); strings.HasPrefix(g, "http://") || strings.HasPrefix(g, "https://") {
		return g
	}
	return ""
}

// itemAuthor names the first author; gofeed already falls back from RSS
// author to dc:creator, itunes:author and atom:author.
func itemAuthor(r *gofeed.Item) string {
	people := r.Authors
	if len(people) == 0 && r.Author != nil {
		people = []*gofeed.Person{r.Author}
	}
	for _, p := range people {
		if p == nil {
			continue
		}
		if name := plainText(p.Name, maxAuthorLen); name != "" {
			return name
		}
		if email := plainText(p.Email, maxAuthorLen); email != "" {
			return email
		}
	}
	return ""
}

// validDate returns the date in UTC, or zero when missing or a placeholder.
func validDate(t *time.Time) time.Time {
	if t == nil || t.Before(earliestDate) {
		return time.Time{}
	}
	return t.UTC()
}

// itemDates fills missing dates and caps future ones at the fetch time: a
// feed's clock or time zone may be wrong, and an item from the future would
// sort above everything for days. Updated is never before Published.
func itemDates(published, updated, fetchedAt time.Time) (time.Time, time.Time) {
	fetchedAt = fetchedAt.UTC()
	if published.IsZero() {
		published = updated
	}
	if published.IsZero() || published.After(fetchedAt) {
		published = fetchedAt
	}
	if updated.Before(published) {
		updated = published
	}
	if updated.After(fetchedAt) {
		updated = fetchedAt
	}
	return published, updated
}

// normalizeLang returns a BCP 47 tag (en-US) for a feed language, or "".
func normalizeLang(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	tag, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		return ""
	}
	return tag.String()
}
