package events

import (
	"cmp"
	"slices"
)

// Relation links an event to another one sharing its storyline.
type Relation struct {
	EventID string
	Shared  []string // the names both mention, e.g. China, Korean War, North Korea
}

// Two events are related when they share a storyline: the same main
// actors and subject, in different happenings (the trial results and the
// regulator's plan to authorise the drug; the 2007 and 2018 Korea talks).
// That shows as names in common and a likeness of their centroids short
// of the one that would merge them: the fewer specific names they share,
// the closer their wording must be. (On the headlines dev set these links
// find 13 of the 45 gold related pairs while offering half as many links
// as names alone did.)
const (
	relatedTerms = 10 // heaviest centroid terms looked up for candidates
	maxRelated   = 10
	// Centroid cosines that relate two events sharing two specific names
	// or more, one, or none.
	relatedCosine2, relatedCosine1, relatedCosine0 = 0.10, 0.20, 0.30
	// A name held by more events than this is background ("Covid",
	// "United States"): it is shown as shared context but links nothing.
	specificEvents = 40
)

type relation struct {
	ev    *eventState
	names []string
	score float64
}

// Related lists the events held in memory that share the storyline of the
// event id, strongest first. Shared lists the names in common. Names held
// by very many events are the background of the news, not a storyline,
// and are not looked up.
func (c *Clusterer) Related(id string) []Relation {
	ev := c.lookupEvent(id)
	if ev == nil {
		return nil
	}
	var rels []relation
	cands := c.relatedCandidates(ev)
	sums := ev.centroid(&c.buf.cent)
	for _, other := range cands {
		cos := sums.cosineTo(other.centroid(&c.buf.other))
		if cos < relatedCosine2 {
			continue // under the lowest bar, whatever names they share
		}
		names, specific := c.sharedNames(ev, other)
		if cos >= []float64{relatedCosine0, relatedCosine1, relatedCosine2}[min(specific, 2)] {
			rels = append(rels, relation{other, names, cos + 0.1*float64(specific)})
		}
	}
	slices.SortFunc(rels, func(a, b relation) int {
		if a.score != b.score {
			if a.score > b.score {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.ev.id, b.ev.id)
	})
	out := make([]Relation, 0, min(len(rels), maxRelated))
	for _, r := range rels[:min(len(rels), maxRelated)] {
		out = append(out, Relation{EventID: r.ev.id, Shared: r.names})
	}
	return out
}

// relatedCandidates are the other events posted under the event's names
// or its heaviest terms.
func (c *Clusterer) relatedCandidates(ev *eventState) []*eventState {
	seen := map[*eventState]bool{ev: true}
	var out []*eventState
	add := func(term uint32) {
		for _, other := range c.index.postingsOf(term, c.opts.MaxPostings) {
			if !seen[other] {
				seen[other] = true
				out = append(out, other)
			}
		}
	}
	for _, n := range ev.entities {
		add(n.id)
	}
	for _, e := range ev.centroid(&c.buf.cent).heaviest(relatedTerms) {
		add(e)
	}
	return out
}

// sharedNames lists the names both events mention, sorted, and counts
// the specific ones among them.
func (c *Clusterer) sharedNames(a, b *eventState) ([]string, int) {
	var names []string
	specific := 0
	for _, n := range a.entities {
		if !b.entities.has(n.id) {
			continue
		}
		names = append(names, n.name)
		if c.index.count(n.id) <= specificEvents {
			specific++
		}
	}
	slices.Sort(names)
	return names, specific
}
