package events

import (
	"maps"
	"math"
	"slices"
)

// Writing and reading the clusterer's tables: the vocabulary, the
// boilerplate and habit counts, the near-copy table and the indexes.

// counts writes a map of counts in key order.
func writeCounts[N uint16 | int32](e *encoder, m map[uint64]N) {
	e.uint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.u64(k)
		e.int(int64(m[k]))
	}
}

func (v *vocab) write(e *encoder) {
	e.uint(uint64(len(v.terms)))
	for id, t := range v.terms {
		e.str(t)
		if t == "" {
			continue // a free id: its counts are zero, its other fields unread
		}
		e.str(v.forms[id])
		e.u32(math.Float32bits(v.bgIDF[id]))
		e.uint(uint64(v.df[id]))
		e.uint(uint64(v.refs[id]))
	}
	e.uint(uint64(v.n))
	e.uints(v.unused)
	e.uints(v.free)
}

func (v *vocab) read(d *decoder) {
	n := d.count()
	v.ids = make(map[string]uint32, mapCap(n))
	v.terms, v.forms, v.bgIDF = make([]string, 0, capped(n)), make([]string, 0, capped(n)), make([]float32, 0, capped(n))
	v.df, v.refs, v.keys = make([]uint32, 0, capped(n)), make([]uint32, 0, capped(n)), make([]uint64, 0, capped(n))
	for id := range d.each(n) {
		t := d.str()
		var form string
		var idf float32
		var df, refs uint32
		if t != "" {
			if form, idf = d.str(), math.Float32frombits(d.u32()); form == t {
				form = t // one copy, as a live vocabulary holds it
			}
			df, refs = uint32(d.uint()), uint32(d.uint())
			v.ids[t] = uint32(id)
		}
		v.terms, v.forms, v.bgIDF = append(v.terms, t), append(v.forms, form), append(v.bgIDF, idf)
		v.df, v.refs = append(v.df, df), append(v.refs, refs)
		v.keys = append(v.keys, keyOf(t))
	}
	v.known = make([]bool, len(v.terms))
	v.n = int(d.uint())
	d.terms = uint32(len(v.terms))
	v.unused, v.free = d.termIDs(), d.termIDs()
}

// keyOf is a term's key (vocab.keys); a free id's is unread.
func keyOf(term string) uint64 {
	if term == "" {
		return 0
	}
	return hashString(term)
}

func (b *boilerplate) write(e *encoder) {
	e.uint(uint64(b.keys))
	e.uint(uint64(len(b.sources)))
	for _, src := range slices.Sorted(maps.Keys(b.sources)) {
		e.u64(src)
		writeCounts(e, b.sources[src])
	}
}

func (b *boilerplate) read(d *decoder) {
	b.keys = int(d.uint())
	for range d.each(d.count()) {
		src := d.u64()
		b.sources[src] = readCounts[uint16](d)
	}
}

func (h *habits) write(e *encoder) {
	e.uint(uint64(h.keys))
	e.uint(uint64(len(h.sources)))
	for _, src := range slices.Sorted(maps.Keys(h.sources)) {
		s := h.sources[src]
		e.u64(src)
		e.int(int64(s.n))
		writeCounts(e, s.df)
	}
}

func (h *habits) read(d *decoder) {
	h.keys = int(d.uint())
	for range d.each(d.count()) {
		src := d.u64()
		n := int32(d.int())
		h.sources[src] = &sourceHabits{n: n, df: readCounts[int32](d)}
	}
}

func (x *lsh) write(e *encoder, o *ordinals) {
	e.uint(uint64(len(x.docs)))
	for _, ds := range x.docs {
		e.uint(refOf(ds, o.docs))
	}
	e.uints(x.next)
	e.uints(x.free)
	e.uint(uint64(len(x.buckets)))
	for _, k := range slices.Sorted(maps.Keys(x.buckets)) {
		e.uint(uint64(k))
		e.uint(uint64(x.buckets[k]))
	}
}

// read reads the table of the held docs, and checks that each bucket is a
// ring: a damaged one could send a lookup round for ever.
func (x *lsh) read(d *decoder, docs []*docState) {
	n := d.count()
	x.docs = make([]*docState, 0, capped(n))
	for range d.each(n) {
		var ds *docState
		if r := d.uint(); r != 0 {
			if r < 2 || r-2 >= uint64(len(docs)) {
				d.fail("near-copy reference %d to one of %d docs", r, len(docs))
			} else {
				ds = docs[r-2]
			}
		}
		x.docs = append(x.docs, ds)
	}
	x.next, x.free = d.uints(), d.uints()
	x.mark = make([]uint32, len(x.docs))
	if len(x.next) != len(x.docs)*lshBands {
		d.fail("near-copy table of %d docs has %d slots", len(x.docs), len(x.next))
	}
	for _, f := range x.free {
		if int(f) >= len(x.docs) || x.docs[f] != nil {
			d.fail("near-copy number %d is not free", f)
		}
	}
	n = d.count()
	x.buckets = make(map[uint32]uint32, mapCap(n))
	for range d.each(n) {
		k, last := uint32(d.uint()), uint32(d.uint())
		x.buckets[k] = last
	}
	x.checkRings(d)
}

// checkRings fails unless every bucket is a ring of slots of held docs,
// each slot in one ring at most.
func (x *lsh) checkRings(d *decoder) {
	slots := uint32(len(x.next))
	seen := make([]bool, slots)
	for _, last := range x.buckets {
		if d.err != nil {
			return
		}
		for cur := last; ; {
			if cur == 0 || cur > slots || seen[cur-1] || x.docs[(cur-1)/lshBands] == nil {
				d.fail("near-copy bucket is not a ring of held docs' slots")
				return
			}
			seen[cur-1] = true
			if cur = x.next[cur-1]; cur == last {
				break
			}
		}
	}
}

func writeIndex[T indexed](e *encoder, x *index[T], ords map[T]int) {
	e.uint(uint64(len(x.slots)))
	for n, s := range x.slots {
		e.uint(uint64(s.rank))
		e.bool(s.gone)
		e.int(s.firstMS)
		e.int(s.lastMS)
		e.uint(refOf(x.events[n], ords))
	}
	e.uint(uint64(len(x.free)))
	for _, n := range x.free {
		e.int(int64(n))
	}
	e.int(int64(x.stale))
	e.int(int64(x.live))
	e.uint(uint64(x.lists()))
	for t, p := range x.postings {
		if len(p) == 0 {
			continue
		}
		e.uint(uint64(t))
		e.uint(uint64(len(p)))
		for _, n := range p {
			e.int(int64(n))
		}
	}
}

// readIndex reads an index of live elements; gone is what the slots of
// elements no longer held point at until the index compacts.
func readIndex[T indexed](d *decoder, live []T, gone T) *index[T] {
	x := newIndex[T]()
	slots := d.count()
	x.slots, x.events = make([]slot, 0, capped(slots)), make([]T, 0, capped(slots))
	for n := range d.each(slots) {
		x.slots = append(x.slots, slot{rank: uint32(d.uint()), gone: d.bool(), firstMS: d.int(), lastMS: d.int()})
		var el T
		switch r := d.uint(); {
		case r == 1:
			el = gone
		case r >= 2 && r-2 < uint64(len(live)):
			el = live[r-2]
			if el.post().slot != int32(n) {
				d.fail("element %s is posted at slot %d, not %d", el.post().id, el.post().slot, n)
			}
		case r != 0:
			d.fail("index reference %d out of %d", r, len(live))
		}
		x.events = append(x.events, el)
	}
	for range d.each(d.count()) {
		x.free = append(x.free, d.slot(len(x.slots)))
	}
	x.stale, x.live = int(d.int()), int(d.int())
	terms := d.count()
	x.postings = make([][]int32, 0, d.terms) // sized as the vocabulary
	for range d.each(terms) {
		t := d.term(d.uint())
		n := d.count()
		p := make([]int32, 0, capped(n))
		for range d.each(n) {
			p = append(p, d.slot(len(x.slots)))
		}
		if len(p) > 0 {
			x.reach(t)
			x.postings[t] = p
		}
	}
	for _, el := range live {
		if s := el.post().slot; s < 0 || int(s) >= len(x.slots) || x.events[s] != el {
			d.fail("element %s is not in its index", el.post().id)
		}
	}
	return x
}
