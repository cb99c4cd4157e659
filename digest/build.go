package digest

import (
	"cmp"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"herald/events"
)

// Subscriber is one reader of digests.
type Subscriber struct {
	Email, Name string
	Topics      []string       // none means every topic
	TopicTitles []string       // the display names of Topics, in order, for the footer
	Location    *time.Location // dates in the mail are shown in it
}

// Options tune what a digest lists.
type Options struct {
	MaxEvents int // the most events one digest lists; 0 means 25
	// UpdateGrowth: an event sent before returns, marked "update", once
	// its independent sources reach this multiple of the count sent (and
	// at least two more). 0 means 2.
	UpdateGrowth float64
}

func (o Options) withDefaults() Options {
	if o.MaxEvents <= 0 {
		o.MaxEvents = 25
	}
	if o.UpdateGrowth <= 0 {
		o.UpdateGrowth = 2
	}
	return o
}

// Entry is one event in a digest.
type Entry struct {
	Event   events.Event
	Sources int  // independent sources now
	Update  bool // sent before and grew a lot since
	Was     int  // independent sources when last sent (updates only)
}

// Digest is what one subscriber receives for one period.
type Digest struct {
	Subscriber Subscriber
	Period     Period
	Entries    []Entry
}

// Empty reports whether the digest lists nothing.
func (d Digest) Empty() bool { return len(d.Entries) == 0 }

// Build chooses the digest's events: the candidates (events that gained a
// report in the period) in the subscriber's topics that it has not been
// sent yet, plus those sent before that grew a lot since (sent maps an
// event id to its independent sources when last sent). They are ranked by
// independent sources, then recency, and capped at MaxEvents.
func Build(sub Subscriber, p Period, candidates []events.Event, sent map[string]int, opt Options) Digest {
	opt = opt.withDefaults()
	type pick struct {
		i, sources, was int
		update          bool
	}
	better := func(a, b pick) int { // < 0 when a ranks before b
		ea, eb := &candidates[a.i], &candidates[b.i]
		return cmp.Or(cmp.Compare(b.sources, a.sources), eb.LastUpdated.Compare(ea.LastUpdated), cmp.Compare(ea.ID, eb.ID))
	}
	top := make([]pick, 0, opt.MaxEvents+1) // the best so far, ranked: no need to sort them all
	for i := range candidates {
		ev := &candidates[i]
		if !inTopics(ev.Topics, sub.Topics) {
			continue
		}
		pk := pick{i: i, sources: Independent(*ev)}
		if was, ok := sent[ev.ID]; ok {
			if !grewALot(was, pk.sources, opt.UpdateGrowth) {
				continue
			}
			pk.update, pk.was = true, was
		}
		if len(top) == opt.MaxEvents && better(pk, top[len(top)-1]) > 0 {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, pk, better)
		top = slices.Insert(top, at, pk)
		if len(top) > opt.MaxEvents {
			top = top[:opt.MaxEvents]
		}
	}
	d := Digest{Subscriber: sub, Period: p}
	for _, pk := range top {
		d.Entries = append(d.Entries, Entry{Event: candidates[pk.i], Sources: pk.sources, Update: pk.update, Was: pk.was})
	}
	return d
}

func grewALot(was, now int, factor float64) bool {
	return now >= was+2 && float64(now) >= math.Ceil(float64(was)*factor)
}

func inTopics(evTopics, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, t := range evTopics {
		if slices.Contains(want, t) {
			return true
		}
	}
	return false
}

// Independent counts the distinct publishers among an event's sources that
// are not near copies of an earlier one (a source without a publisher
// counts by its link's host).
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
