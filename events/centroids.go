package events

import (
	"math"
	"slices"
)

// termStat is what an event holds per term: the sums of its members'
// weights (full and title vectors) and how many members hold the term.
// A weight is at most unit, so 32 bits hold the sums of half a million
// members, more than a window holds; 16 bytes a term rather than 24.
type termStat struct {
	id         uint32
	count      int32
	all, title int32
}

// centroids are the sums of an event's member vectors, kept exactly, with
// their squared lengths. The terms are a slice sorted by id: most events
// are small, and a sorted slice is smaller and faster to search than a map.
// Their ids are also kept apart, in step: scoring a doc searches a large
// event's terms once per doc term, and sixteen ids share a cache line
// where under three terms would.
type centroids struct {
	ids              []uint32 // ids[k] == terms[k].id
	terms            []termStat
	allNorm2, tNorm2 int64
}

// find returns the index of id in terms[from:], or where it would go.
// Callers look up ascending ids, so a short linear step usually finds it;
// past a few steps it bisects.
func (c *centroids) find(id uint32, from int) (int, bool) {
	t := c.ids
	for k := from; k < len(t) && k < from+8; k++ {
		if t[k] >= id {
			return k, t[k] == id
		}
	}
	lo, hi := min(from+8, len(t)), len(t)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t[m] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(t) && t[lo] == id
}

// add folds a doc in and appends the terms new to the event to added.
// title's terms are among vec's. fresh is a buffer, returned for reuse.
func (c *centroids) add(vec, title sparse, added []uint32, fresh []termStat) ([]uint32, []termStat) {
	i, j := 0, 0
	for _, e := range vec {
		st := termStat{id: e.id}
		k, ok := c.find(e.id, i)
		if ok {
			st = c.terms[k]
			i = k + 1
		}
		c.allNorm2 += 2*int64(st.all)*int64(e.w) + int64(e.w)*int64(e.w)
		st.all += e.w
		st.count++
		for j < len(title) && title[j].id < e.id {
			j++
		}
		if j < len(title) && title[j].id == e.id {
			w := int64(title[j].w)
			c.tNorm2 += 2*int64(st.title)*w + w*w
			st.title += title[j].w
		}
		if ok {
			c.terms[k] = st
		} else {
			fresh = append(fresh, st)
			added = append(added, e.id)
		}
	}
	c.insert(fresh)
	return added, fresh
}

// fill makes c the sums of one doc, reusing c's space: what add would
// make of the doc in empty sums.
func (c *centroids) fill(vec, title sparse) {
	c.ids, c.terms, c.allNorm2, c.tNorm2 = c.ids[:0], c.terms[:0], 0, 0
	j := 0
	for _, e := range vec {
		st := termStat{id: e.id, count: 1, all: e.w}
		c.allNorm2 += int64(e.w) * int64(e.w)
		for j < len(title) && title[j].id < e.id {
			j++
		}
		if j < len(title) && title[j].id == e.id {
			st.title = title[j].w
			c.tNorm2 += int64(title[j].w) * int64(title[j].w)
		}
		c.ids = append(c.ids, e.id)
		c.terms = append(c.terms, st)
	}
}

// insert merges sorted new terms in, from the back, without a new slice.
func (c *centroids) insert(fresh []termStat) {
	if len(fresh) == 0 {
		return
	}
	n := len(c.terms)
	c.terms = append(c.terms, fresh...)
	c.ids = slices.Grow(c.ids, len(fresh))[:len(c.terms)]
	i, j := n-1, len(fresh)-1
	for k := len(c.terms) - 1; j >= 0; k-- {
		if i >= 0 && c.terms[i].id > fresh[j].id {
			c.terms[k] = c.terms[i]
			i--
		} else {
			c.terms[k] = fresh[j]
			j--
		}
		c.ids[k] = c.terms[k].id
	}
}

// likeness of a doc to the centroids: the cosines of the full and title
// vectors, computed in one pass that also visits each shared term.
type likeness struct {
	cos, titleCos float64
}

func (c *centroids) compare(vec, title sparse, visit func(e entry, st termStat)) likeness {
	var dot, tdot int64
	i, j := 0, 0
	for _, e := range vec {
		k, ok := c.find(e.id, i)
		i = k
		if !ok {
			continue
		}
		st := c.terms[k]
		dot += int64(e.w) * int64(st.all)
		for j < len(title) && title[j].id < e.id {
			j++
		}
		if j < len(title) && title[j].id == e.id {
			tdot += int64(title[j].w) * int64(st.title)
		}
		visit(e, st)
	}
	var l likeness
	if c.allNorm2 > 0 {
		l.cos = float64(dot) / (unit * math.Sqrt(float64(c.allNorm2)))
	}
	if c.tNorm2 > 0 {
		l.titleCos = float64(tdot) / (unit * math.Sqrt(float64(c.tNorm2)))
	}
	return l
}

// cosine between a doc vector and the full centroid.
func (c *centroids) cosine(v sparse) float64 {
	return c.compare(v, nil, func(entry, termStat) {}).cos
}

// cosineTo is the cosine between two events' full centroids.
func (c *centroids) cosineTo(o *centroids) float64 {
	if c.allNorm2 == 0 || o.allNorm2 == 0 {
		return 0
	}
	var s int64
	for i, j := 0, 0; i < len(c.terms) && j < len(o.terms); {
		switch a, b := c.terms[i].id, o.terms[j].id; {
		case a < b:
			i++
		case a > b:
			j++
		default:
			s += int64(c.terms[i].all) * int64(o.terms[j].all)
			i++
			j++
		}
	}
	return float64(s) / math.Sqrt(float64(c.allNorm2)) / math.Sqrt(float64(o.allNorm2))
}

// heaviest returns the k terms with the largest sums (ties: smaller id),
// heaviest first, in one pass that keeps the best k.
func (c *centroids) heaviest(k int) []uint32 {
	if k <= 0 {
		return nil
	}
	heavier := func(a, b termStat) bool { return a.all > b.all || a.all == b.all && a.id < b.id }
	best := make([]termStat, 0, k+1)
	for _, st := range c.terms {
		if len(best) == k && !heavier(st, best[k-1]) {
			continue
		}
		i := len(best)
		best = append(best, st)
		for ; i > 0 && heavier(st, best[i-1]); i-- {
			best[i] = best[i-1]
		}
		best[i] = st
		best = best[:min(len(best), k)]
	}
	out := make([]uint32, len(best))
	for i, st := range best {
		out[i] = st.id
	}
	return out
}

// clone returns a copy that shares nothing with c.
func (c *centroids) clone() *centroids {
	return &centroids{ids: slices.Clone(c.ids), terms: slices.Clone(c.terms), allNorm2: c.allNorm2, tNorm2: c.tNorm2}
}

// sub takes a doc back out of the sums (add's inverse): a term no member
// holds any more is removed.
func (c *centroids) sub(vec, title sparse) {
	i, j := 0, 0
	for _, e := range vec {
		k, ok := c.find(e.id, i)
		if !ok {
			continue
		}
		i = k
		st := &c.terms[k]
		c.allNorm2 += -2*int64(st.all)*int64(e.w) + int64(e.w)*int64(e.w)
		st.all -= e.w
		st.count--
		for j < len(title) && title[j].id < e.id {
			j++
		}
		if j < len(title) && title[j].id == e.id {
			w := int64(title[j].w)
			c.tNorm2 += -2*int64(st.title)*w + w*w
			st.title -= title[j].w
		}
	}
	n := 0
	for k := range c.terms {
		if c.terms[k].count > 0 {
			c.terms[n], c.ids[n] = c.terms[k], c.ids[k]
			n++
		}
	}
	c.terms, c.ids = c.terms[:n], c.ids[:n]
}
