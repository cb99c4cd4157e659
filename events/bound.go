package events

import (
	"slices"
	"time"
)

// Held is how many docs the clusterer holds: what its memory grows with.
func (c *Clusterer) Held() int { return len(c.docs) }

// EvictToHold evicts the events updated longest ago, with their docs, until
// at most n docs are held: a bound on memory whatever the stream's volume,
// at the price of a shorter window while the volume exceeds it (a late
// report of an evicted event opens a new event, as after the window).
// Events updated at the same instant go together.
func (c *Clusterer) EvictToHold(n int) {
	over := len(c.docs) - n
	if over <= 0 {
		return
	}
	evs := make([]*eventState, 0, len(c.events))
	for _, ev := range c.events {
		evs = append(evs, ev)
	}
	slices.SortFunc(evs, func(a, b *eventState) int { return a.last.Compare(b.last) })
	var cut time.Time
	for _, ev := range evs {
		if over <= 0 && ev.last.After(cut) {
			break
		}
		over -= len(ev.members)
		cut = ev.last
	}
	c.Evict(cut.Add(time.Nanosecond)) // Evict keeps an event updated at its bound
}
