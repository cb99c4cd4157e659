package events

import (
	"cmp"
	"slices"
	"strings"
)

// Held is how many docs the clusterer holds: what its memory grows with.
func (c *Clusterer) Held() int { return len(c.docs) }

// Bound keeps the clusterer near max docs (0: no bound): once it holds
// more, it evicts down to nine tenths of max (EvictToHold), a margin that
// spares a sort of its events after every small batch. It reports whether
// it evicted. The placer and the evaluation bound it this one way.
func (c *Clusterer) Bound(max int) bool {
	if max <= 0 || len(c.docs) <= max {
		return false
	}
	c.EvictToHold(max - max/10)
	return true
}

// EvictToHold evicts the events updated longest ago, with their docs, until
// at most n docs are held: a bound on memory whatever the stream's volume,
// at the price of a shorter window while the volume exceeds it (a late
// report of an evicted event opens a new event, as after the window).
// Events updated at the same instant (undated docs take the stream's
// clock) go oldest first, then by id, only as many as the bound needs.
func (c *Clusterer) EvictToHold(n int) {
	over := len(c.docs) - n
	if over <= 0 {
		return
	}
	evs := make([]*eventState, 0, len(c.events))
	for _, ev := range c.events {
		evs = append(evs, ev)
	}
	slices.SortFunc(evs, func(a, b *eventState) int {
		return cmp.Or(a.last().Compare(b.last()), a.first().Compare(b.first()), strings.Compare(a.id, b.id))
	})
	k := 0
	for ; k < len(evs) && over > 0; k++ {
		over -= len(evs[k].members)
	}
	c.evict(evs[:k])
}
