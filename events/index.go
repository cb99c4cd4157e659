package events

import "slices"

// posted is what the index keeps on a posted element (an event or a
// storyline): its id, its slot, and its span.
type posted struct {
	id              string
	slot            int32 // its place in the index, -1 before it is posted
	firstMS, lastMS int64 // first and last doc as Unix milliseconds
}

func newPosted(id string) posted { return posted{id: id, slot: -1} }

// indexed is an element the index can post: events and storylines.
type indexed interface {
	comparable
	post() *posted
}

// index is the inverted index from a term to the events whose docs hold
// it. Candidate events for a doc come from here, never from a scan of all
// events, so the cost of an item stays flat as history grows: the doc's
// heaviest terms are looked up, and a term held by too many events is too
// common to find a story by and is skipped.
//
// The lists hold slot numbers, not pointers. A lookup walks up to a few
// hundred postings and reads, for each, the event's time span and its
// running hit weight: those sit in one dense array of slots, where a
// pointer would cost a cache miss per event, and lists of numbers give
// the garbage collector nothing to scan. The lists are found by term id
// in a slice, not a map: the vocabulary reuses the ids of terms it
// forgets, so they stay dense, and a slot of the slice is a third of a
// map entry.
type index[T indexed] struct {
	postings [][]int32 // by term id
	slots    []slot
	events   []T     // by slot; zero once the slot is free
	free     []int32 // slots no list mentions any more, for reuse
	query    uint32  // lookups so far, modulo 2^32
	stale    int     // events gone since the last compaction
	live     int     // events live when the last one went
	hits     []int32 // lookup's buffer, reused
	order    []int32 // topHits' buffer, reused
	top      []T     // lookup's result, valid until the next lookup
}

// slot is what a lookup reads of an event, in 32 bytes: two to a cache
// line.
type slot struct {
	mark            uint32 // the lookup that last met the event
	hit             int32  // the query weight it shared in that lookup (at most QueryTerms × unit)
	rank            uint32 // the high half of a hash of the id: orders equal hits without comparing strings
	gone            bool   // evicted or merged away; the lists drop it lazily
	firstMS, lastMS int64  // the event's span, as Unix milliseconds
}

func newIndex[T indexed]() *index[T] { return &index[T]{} }

// list is the list of a term.
func (x *index[T]) list(term uint32) []int32 {
	if int(term) < len(x.postings) {
		return x.postings[term]
	}
	return nil
}

// postAt appends a slot to a term's list.
func (x *index[T]) postAt(term uint32, n int32) {
	x.reach(term)
	x.postings[term] = append(x.postings[term], n)
}

// reach grows the slice of lists to hold a term's.
func (x *index[T]) reach(term uint32) {
	if int(term) >= len(x.postings) {
		x.postings = slices.Grow(x.postings, int(term)+1-len(x.postings))[:term+1]
	}
}

// add posts the event under terms new to it, and records its span.
func (x *index[T]) add(el T, terms []uint32) {
	x.settle()
	p := el.post()
	if p.slot < 0 {
		p.slot = x.enter(el)
	}
	s := &x.slots[p.slot]
	s.firstMS, s.lastMS = p.firstMS, p.lastMS
	for _, t := range terms {
		x.postAt(t, p.slot)
	}
}

// enter gives an event a slot, a freed one if there is one.
func (x *index[T]) enter(el T) int32 {
	s := slot{rank: uint32(hashString(el.post().id) >> 32)}
	if n := len(x.free); n > 0 {
		i := x.free[n-1]
		x.free = x.free[:n-1]
		x.slots[i], x.events[i] = s, el
		return i
	}
	x.slots = append(x.slots, s)
	x.events = append(x.events, el)
	return int32(len(x.slots) - 1)
}

// lookup returns the events sharing the query's terms, at most max, those
// sharing the most weight first; ties go by a hash of the event's id, then
// by the id, so the result is a function of the index's content alone. keep is asked
// about the span of each event met. The result is only valid until the
// next lookup.
func (x *index[T]) lookup(query sparse, maxPostings, maxEvents int, keep func(firstMS, lastMS int64) bool) []T {
	x.settle()
	x.query++ // marks the events met in this lookup, instead of a map
	if x.query == 0 {
		// The count wrapped: a slot's old mark could pass for this
		// lookup's, so all start again from unmarked.
		for n := range x.slots {
			x.slots[n].mark = 0
		}
		x.query = 1
	}
	hits := x.hits[:0]
	for _, e := range query {
		p := x.list(e.id)
		if len(p) > maxPostings {
			continue
		}
		for _, n := range p {
			s := &x.slots[n]
			if s.mark == x.query {
				s.hit += e.w
			} else if !s.gone && keep(s.firstMS, s.lastMS) {
				s.mark, s.hit = x.query, e.w
				hits = append(hits, n)
			}
		}
	}
	// An event sharing less than a third of what the best one shares
	// cannot win and is not worth scoring.
	var best int32
	for _, n := range hits {
		best = max(best, x.slots[n].hit)
	}
	hits = slices.DeleteFunc(hits, func(n int32) bool { return x.slots[n].hit*3 < best })
	x.top = x.topHits(x.top[:0], hits, maxEvents)
	x.hits = hits[:0]
	return x.top
}

// topHits appends to top the max events with the largest hit weights, in
// order.
func (x *index[T]) topHits(top []T, hits []int32, max int) []T {
	better := func(a, b int32) bool {
		sa, sb := &x.slots[a], &x.slots[b]
		if sa.hit != sb.hit {
			return sa.hit > sb.hit
		}
		if sa.rank != sb.rank {
			return sa.rank < sb.rank
		}
		return x.events[a].post().id < x.events[b].post().id
	}
	order := x.order[:0] // the best so far; top follows it
	for _, n := range hits {
		if len(order) == max {
			// Most hits fall short of the last place: settle those on the
			// weight alone, without the full comparison.
			if h, last := x.slots[n].hit, x.slots[order[max-1]].hit; h < last || h == last && !better(n, order[max-1]) {
				continue
			}
		}
		i := len(order)
		order = append(order, n)
		for ; i > 0 && better(n, order[i-1]); i-- {
			order[i] = order[i-1]
		}
		order[i] = n
		if len(order) > max {
			order = order[:max]
		}
	}
	for _, n := range order {
		top = append(top, x.events[n])
	}
	x.order = order
	return top
}

// postingsOf lists the live events posted under a term, unless more than
// max events (live or not yet compacted away) are.
func (x *index[T]) postingsOf(term uint32, max int) []T {
	p := x.list(term)
	if len(p) > max {
		return nil
	}
	out := make([]T, 0, len(p))
	for _, n := range p {
		if !x.slots[n].gone {
			out = append(out, x.events[n])
		}
	}
	return out
}

// drop forgets a term's list: no held doc uses the term any more, so the
// list holds only gone events, and the term's id will name another term.
func (x *index[T]) drop(term uint32) {
	if int(term) < len(x.postings) {
		x.postings[term] = nil
	}
}

// trim lets go of the lists past the last term that has one, and of the
// space the slice of lists grew to when the vocabulary was twice as large.
func (x *index[T]) trim() {
	n := len(x.postings)
	for n > 0 && x.postings[n-1] == nil {
		n--
	}
	clear(x.postings[n:])
	x.postings = x.postings[:n]
	if cap(x.postings) > 2*n+1024 {
		x.postings = slices.Clip(slices.Clone(x.postings))
	}
}

// lists is how many terms have a list.
func (x *index[T]) lists() int {
	n := 0
	for _, p := range x.postings {
		if len(p) > 0 {
			n++
		}
	}
	return n
}

// count is how many events (live or not yet compacted away) are posted
// under a term.
func (x *index[T]) count(term uint32) int { return len(x.list(term)) }

// stalest lists the live events whose latest doc is older than beforeMS
// (or of it: the caller compares exactly), in slot order.
func (x *index[T]) stalest(beforeMS int64) []T {
	var out []T
	var zero T
	for n := range x.slots {
		if s := &x.slots[n]; !s.gone && x.events[n] != zero && s.lastMS <= beforeMS {
			out = append(out, x.events[n])
		}
	}
	return out
}

// forget marks an event gone. Its postings stay until enough events are
// gone that a compaction, which walks every list, pays for itself. The
// compaction waits for the next add or lookup: events go in batches,
// and a compaction part-way through a batch would leave a set of gone
// postings behind that depends on the batch's order, while the lengths of
// the lists decide which terms a lookup walks.
func (x *index[T]) forget(el T, live int) {
	x.slots[el.post().slot].gone = true
	x.stale++
	x.live = live
	if live == 0 {
		x.compact() // none is left: all lists go, whatever the order
	}
}

// settle compacts the lists if enough events went since the last time.
func (x *index[T]) settle() {
	if x.stale > x.live/2 {
		x.compact()
	}
}

// compact drops gone events from every list, then frees their slots.
func (x *index[T]) compact() {
	x.stale = 0
	for t, p := range x.postings {
		q := p[:0]
		for _, n := range p {
			if !x.slots[n].gone {
				q = append(q, n)
			}
		}
		if len(q) == 0 {
			q = nil
		}
		x.postings[t] = q
	}
	x.trim()
	var zero T
	for n := range x.slots {
		if x.slots[n].gone && x.events[n] != zero {
			x.events[n] = zero
			x.free = append(x.free, int32(n))
		}
	}
}
