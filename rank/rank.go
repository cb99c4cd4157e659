// Package rank decides the order in which Herald shows events and the
// storylines that thread them, one way everywhere (the front page, the
// briefings, the digests, the OPML of threads): the most reported first.
// It also groups a list of events into threads and picks, for each
// publisher of an event, the report readers are sent to.
package rank

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"time"

	"herald/events"
)

// Weight is what ranking compares: independent publishers first, then
// reports, then recency, then the id, so that the order is total and the
// same on every page.
type Weight struct {
	Publishers int       // independent sources: distinct publishers, near copies left out
	Reports    int       // every report, copies included
	Updated    time.Time // the latest report
	ID         string
}

// Of is an event's weight.
func Of(ev events.Event) Weight {
	return Weight{Publishers: Independent(ev), Reports: ev.Size, Updated: ev.LastUpdated, ID: ev.ID}
}

// Compare returns a negative number when a ranks before b, a positive one
// when after, and 0 only for equal weights.
func Compare(a, b Weight) int {
	return cmp.Or(cmp.Compare(b.Publishers, a.Publishers), cmp.Compare(b.Reports, a.Reports),
		b.Updated.Compare(a.Updated), cmp.Compare(a.ID, b.ID))
}

// Events sorts evs, the most reported first.
func Events(evs []events.Event) {
	w := make(map[string]Weight, len(evs)) // Independent walks the sources: once per event
	for _, ev := range evs {
		w[ev.ID] = Of(ev)
	}
	slices.SortStableFunc(evs, func(a, b events.Event) int { return Compare(w[a.ID], w[b.ID]) })
}

// Independent counts the distinct publishers among an event's sources that
// are not near copies of an earlier one (a source without a publisher
// counts by its link's host). An event whose every source is a copy still
// counts one.
func Independent(ev events.Event) int {
	var buf [16]string
	seen := buf[:0] // events have few sources: a slice beats a map
	for _, s := range ev.Sources {
		if s.Duplicate {
			continue
		}
		k := publisherKey(s)
		if !slices.ContainsFunc(seen, func(o string) bool { return strings.EqualFold(o, k) }) {
			seen = append(seen, k)
		}
	}
	if len(seen) == 0 && len(ev.Sources) > 0 {
		return 1
	}
	return len(seen)
}

// publisherKey names a source's publisher; compare keys with EqualFold.
func publisherKey(s events.Source) string {
	if p := strings.TrimSpace(s.Publisher); p != "" {
		return p
	}
	if u, err := url.Parse(s.URL); err == nil && u.Host != "" {
		return strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	}
	return "doc:" + s.DocID
}
