package events

import "slices"

// index is the inverted index from a term to the events whose docs hold
// it. Candidate events for a doc come from here, never from a scan of all
// events, so the cost of an item stays flat as history grows: the doc's
// heaviest terms are looked up, and a term held by too many events is too
// common to find a story by and is skipped.
type index struct {
	postings map[uint32][]*eventState
	query    uint64        // lookups so far
	stale    int           // events gone since the last compaction
	live     int           // events live when the last one went
	hits     []*eventState // lookup's buffer, reused
	top      []*eventState // lookup's result, valid until the next lookup
}

func newIndex() *index { return &index{postings: make(map[uint32][]*eventState)} }

func (x *index) add(ev *eventState, terms []uint32) {
	x.settle()
	for _, t := range terms {
		x.postings[t] = append(x.postings[t], ev)
	}
}

// lookup returns the events sharing the query's terms, at most max, those
// sharing the most weight first; ties go to the event with the smaller id,
// so the result is a function of the index's content alone. The result
// is only valid until the next lookup.
func (x *index) lookup(query sparse, maxPostings, maxEvents int, keep func(*eventState) bool) []*eventState {
	x.settle()
	x.query++ // marks the events met in this lookup, instead of a map
	hits := x.hits[:0]
	for _, e := range query {
		p := x.postings[e.id]
		if len(p) > maxPostings {
			continue
		}
		for _, ev := range p {
			if ev.mark == x.query {
				ev.hit += int64(e.w)
			} else if !ev.gone && keep(ev) {
				ev.mark, ev.hit = x.query, int64(e.w)
				hits = append(hits, ev)
			}
		}
	}
	// An event sharing less than a third of what the best one shares
	// cannot win and is not worth scoring.
	var best int64
	for _, ev := range hits {
		best = max(best, ev.hit)
	}
	hits = slices.DeleteFunc(hits, func(ev *eventState) bool { return ev.hit*3 < best })
	x.top = topHits(x.top[:0], hits, maxEvents)
	clear(hits) // pins no event once it is gone
	x.hits = hits[:0]
	return x.top
}

// topHits appends to top the max events with the largest hit weights, in
// order.
func topHits(top, hits []*eventState, max int) []*eventState {
	better := func(a, b *eventState) bool {
		if a.hit != b.hit {
			return a.hit > b.hit
		}
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		return a.id < b.id
	}
	for _, ev := range hits {
		if len(top) == max && !better(ev, top[max-1]) {
			continue
		}
		i := len(top)
		top = append(top, ev)
		for ; i > 0 && better(ev, top[i-1]); i-- {
			top[i] = top[i-1]
		}
		top[i] = ev
		if len(top) > max {
			top = top[:max]
		}
	}
	return top
}

// forget marks an event gone. Its postings stay until enough events are
// gone that a compaction, which walks every list, pays for itself. The
// compaction waits for the next add or lookup: events go in batches, in
// map order, and a compaction part-way through a batch would leave a
// different set of gone postings behind on every run, while the lengths
// of the lists decide which terms a lookup walks.
func (x *index) forget(ev *eventState, live int) {
	ev.gone = true
	x.stale++
	x.live = live
	if live == 0 {
		x.compact() // none is left: all lists go, whatever the order
	}
}

// settle compacts the lists if enough events went since the last time.
func (x *index) settle() {
	if x.stale > x.live/2 {
		x.compact()
	}
}

// compact drops gone events from every list.
func (x *index) compact() {
	x.stale = 0
	for t, p := range x.postings {
		q := p[:0]
		for _, ev := range p {
			if !ev.gone {
				q = append(q, ev)
			}
		}
		clear(p[len(q):])
		if len(q) == 0 {
			delete(x.postings, t)
		} else {
			x.postings[t] = q
		}
	}
}
