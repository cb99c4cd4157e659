package events

import (
	"cmp"
	"slices"
	"time"
)

// Event is the record of one real-world happening, as readers see it.
type Event struct {
	ID string
	// Headline is the title of HeadlineDoc, the most central doc among
	// the sources. The deduplicator holds no titles, so its records leave
	// Headline (and each Source's Title) empty; the store fills them in
	// from the stored items.
	Headline    string
	HeadlineDoc string
	// Summary is the lead (Assignment.Lead) of the doc that gave the
	// headline. The deduplicator holds no leads, so its records leave it
	// empty; the store fills it in from the headline doc's stored lead.
	Summary     string
	FirstSeen   time.Time
	LastUpdated time.Time
	Size        int
	Sources     []Source // by publication time
	Entities    []string // the names the sources share, most mentioned first
	Topics      []string
	Storyline   string // the id of the thread of related events it belongs to
}

// Source is one doc of an event. The deduplicator holds no titles or
// URLs: its records leave them empty, and the store fills them in when it
// reads an event back.
type Source struct {
	DocID, Publisher, Title, URL string
	Published                    time.Time
	Duplicate                    bool // a near copy of an earlier source
	// Link marks the one report of its publisher that readers are sent
	// to: the publisher's report closest to what the event says, the most
	// recent of those about as close.
	Link bool
}

// eventState is the clusterer's working copy of an event. Everything in
// it is a sum or a set over the members, never a product of their order,
// so an event restored doc by doc equals one grown and merged live.
type eventState struct {
	posted
	sums     *centroids // sums of member vectors, per term; nil while it has one member
	entities nameCounts // names mentioned, with counts
	members  []*docState
	earliest *docState   // the first member published (first of a tie)
	latest   *docState   // the last member published (first of a tie)
	days     map[int]int // members per day their titles name
	story    *storyline
}

// named is a name mentioned by count members: id is its term ("@key") in
// the vocabulary, which keeps it while a held doc mentions the name, and
// name its smallest spelling, the same whatever the arrival order.
type named struct {
	id    uint32
	count int32
	name  string // the vocabulary's own spelling, or a copy: never a slice of a doc's text
}

// nameCounts is a set of names sorted by term id: most events name a few,
// and a small sorted slice costs a fraction of a map.
type nameCounts []named

func (ns nameCounts) find(id uint32) (int, bool) {
	return slices.BinarySearchFunc(ns, id, func(n named, id uint32) int { return cmp.Compare(n.id, id) })
}

// add counts count mentions of a name.
func (ns *nameCounts) add(id uint32, name string, count int32) {
	i, ok := ns.find(id)
	if !ok {
		*ns = slices.Insert(*ns, i, named{id: id, name: name})
	}
	n := &(*ns)[i]
	if name < n.name {
		n.name = name
	}
	n.count += count
}

// has reports whether the set holds the name of that term.
func (ns nameCounts) has(id uint32) bool {
	_, ok := ns.find(id)
	return ok
}

func newEventState(id string) *eventState {
	return &eventState{posted: newPosted(id)}
}

// add folds a member in and returns the terms new to the event, which the
// caller posts in the inverted index; the result is valid until buf's
// next use.
//
// An event of one member keeps no sums: they would copy its member's
// vectors, and most events have one member (centroid lays them out when
// asked). The second member makes them.
func (ev *eventState) add(ds *docState, buf *scratch) []uint32 {
	switch len(ev.members) {
	case 0:
		buf.added = buf.added[:0]
		for _, e := range ds.an.vec() {
			buf.added = append(buf.added, e.id)
		}
	case 1:
		first := ev.members[0]
		ev.sums = &centroids{}
		ev.sums.fill(first.an.vec(), first.an.tvec())
		fallthrough
	default:
		buf.added, buf.fresh = ev.sums.add(ds.an.vec(), ds.an.tvec(), buf.added[:0], buf.fresh[:0])
	}
	added := buf.added
	t := ds.published
	if len(ev.members) == 0 || t.Before(ev.first()) {
		ev.earliest, ev.firstMS = ds, t.UnixMilli()
	}
	if len(ev.members) == 0 || t.After(ev.last()) {
		ev.latest, ev.lastMS = ds, t.UnixMilli()
	}
	ev.members = append(ev.members, ds)
	if ds.an.day != 0 {
		if ev.days == nil {
			ev.days = make(map[int]int)
		}
		ev.days[int(ds.an.day)]++
	}
	for i, e := range ds.an.entities {
		ev.entities.add(ds.an.entTerms[i], e.name, 1)
	}
	return added
}

func (ev *eventState) post() *posted { return &ev.posted }

// first and last are the publication times of the event's first and last
// members: kept as those members, not as times (a time is three words).
func (ev *eventState) first() time.Time { return publishedOf(ev.earliest) }
func (ev *eventState) last() time.Time  { return publishedOf(ev.latest) }

func publishedOf(ds *docState) time.Time {
	if ds == nil {
		return time.Time{}
	}
	return ds.published
}

// centroid returns the sums of the event's member vectors; those of a
// one-member event are laid out in buf, valid until its next use.
func (ev *eventState) centroid(buf *centroids) *centroids {
	switch {
	case len(ev.members) == 1:
		m := ev.members[0]
		buf.fill(m.an.vec(), m.an.tvec())
	case ev.sums != nil:
		return ev.sums
	default:
		buf.fill(nil, nil)
	}
	return buf
}

// size is the number of members.
func (ev *eventState) size() int { return len(ev.members) }

// headline picks the member closest to the centroid: the title that best
// stands for all of them (ties: the earliest, then the smallest id).
func (ev *eventState) headline() *docState {
	if len(ev.members) == 1 {
		return ev.members[0]
	}
	var best *docState
	bestScore := -1.0
	for _, m := range ev.members {
		s := ev.sums.cosine(m.an.vec())
		if best == nil || s > bestScore+1e-12 || s > bestScore-1e-12 && earlier(m, best) {
			best, bestScore = m, max(s, bestScore)
		}
	}
	return best
}

// linkSlack is how much less central than a publisher's most central
// report a later one may be and still be the one linked: a follow-up that
// tells the event as well is the better link than the first word of it.
const linkSlack = 0.05

// links picks each publisher's report to link: among its reports within
// linkSlack of its most central one, the most recent.
func (ev *eventState) links() map[*docState]bool {
	if len(ev.members) == 1 {
		return map[*docState]bool{ev.members[0]: true}
	}
	type pick struct {
		best     float64
		chosen   *docState
		chosenAt float64
	}
	central := make(map[*docState]float64, len(ev.members))
	byPub := map[string]*pick{}
	for _, m := range ev.members {
		c := ev.sums.cosine(m.an.vec())
		central[m] = c
		p := byPub[m.source]
		if p == nil {
			p = &pick{best: c}
			byPub[m.source] = p
		}
		p.best = max(p.best, c)
	}
	for _, m := range ev.members {
		p := byPub[m.source]
		if central[m] < p.best-linkSlack {
			continue
		}
		if p.chosen == nil || earlier(p.chosen, m) {
			p.chosen = m
		}
	}
	out := make(map[*docState]bool, len(byPub))
	for _, p := range byPub {
		out[p.chosen] = true
	}
	return out
}

func earlier(a, b *docState) bool {
	if !a.published.Equal(b.published) {
		return a.published.Before(b.published)
	}
	return a.id < b.id
}

// record builds the public view of the event.
func (ev *eventState) record(v *vocab) Event {
	h := ev.headline()
	e := Event{
		ID: ev.id, HeadlineDoc: h.id,
		FirstSeen: ev.first(), LastUpdated: ev.last(), Size: ev.size(),
		Entities: ev.topEntities(10, v), Storyline: ev.story.id,
	}
	members := slices.Clone(ev.members)
	slices.SortFunc(members, func(a, b *docState) int {
		if earlier(a, b) {
			return -1
		}
		return 1
	})
	links := ev.links()
	seen := map[string]bool{}
	for _, m := range members {
		e.Sources = append(e.Sources, Source{
			DocID: m.id, Publisher: m.source,
			Published: m.published, Duplicate: m.dupOf != "", Link: links[m],
		})
		for _, t := range m.topics.topics() {
			if !seen[t] {
				seen[t] = true
				e.Topics = append(e.Topics, t)
			}
		}
	}
	return e
}

// topEntities lists the event's names, most mentioned first. In an event
// of several docs, a name only one doc mentions is left out.
func (ev *eventState) topEntities(max int, v *vocab) []string {
	return topNames(ev.entities, ev.size(), max, v)
}

// topNames lists the most mentioned names of counts, leaving out those
// mentioned once among several docs; ties go by key.
func topNames(counts nameCounts, docs, max int, v *vocab) []string {
	var kept []named
	for _, n := range counts {
		if n.count >= 2 || docs == 1 {
			kept = append(kept, n)
		}
	}
	slices.SortFunc(kept, func(a, b named) int {
		if d := cmp.Compare(b.count, a.count); d != 0 {
			return d
		}
		return cmp.Compare(v.terms[a.id], v.terms[b.id])
	})
	out := make([]string, 0, min(max, len(kept)))
	for _, n := range kept[:min(max, len(kept))] {
		out = append(out, n.name)
	}
	return out
}

// summaryLen is about how long an event's summary is, in bytes.
const summaryLen = 280

// clip cuts s to about max bytes at a word boundary.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut] != ' ' {
		cut--
	}
	return s[:cut] + " …"
}

// Event returns the record of an event held in memory. The id of an event
// merged into another one gives the record of the latter.
func (c *Clusterer) Event(id string) (Event, bool) {
	ev := c.lookupEvent(id)
	if ev == nil {
		return Event{}, false
	}
	return ev.record(c.vocab), true
}
