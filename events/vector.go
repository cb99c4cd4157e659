package events

import (
	"cmp"
	"math"
	"slices"
)

// Items and events are compared as TF-IDF vectors. Document frequencies
// are learned from the stream, so what is distinctive adapts to the feeds
// actually read: "coronavirus" weighs little in a pandemic spring.

// vocab interns terms and counts in how many held items each occurs:
// document frequencies are those of the clusterer's window, so they
// follow the news, and a clusterer restored from the window's items
// counts what an uninterrupted one does. A term no held item uses is
// forgotten, and its number given to the next new term, which keeps
// memory flat on an endless stream.
//
// Words map to terms through a cache (stop words to none), which keeps
// stemming and the second lookup off the hot path. It is keyed by the
// word's 64-bit hash, computed once when the text is split: no string to
// hash again or to compare, and no pointer for the garbage collector (two
// words sharing a hash, a chance of about 1 in 10^9 among the cache's
// 2^17 words, would share a term). The cache is dropped when it grows
// past its bound, its entries for forgotten terms when those are
// forgotten (before their ids go to new terms), and refilled from the
// same function.
type vocab struct {
	ids   map[string]uint32
	terms []string  // by id; "" while the id is free
	forms []string  // by id: the first word seen for the term, to show it ("protests" for "protest")
	bgIDF []float32 // by id: the term's IDF in the news at large (lexicon.go)
	mix   float64   // the weight of bgIDF in idf, against the window's own counts
	bg    background
	// The lexicon's neighbours of each term, resolved to held terms, while
	// known[id]; a neighbour's arrival or departure unsets it for the
	// terms it is a neighbour of.
	lex    lexiconTable
	nbrs   [][]softLink
	known  []bool
	keys   []uint64 // by id: the term's hash, a name for it that outlives the id (habits count by it)
	df     []uint32
	refs   []uint32             // by id: held docs pointing at the term other than by holding it (soft vectors)
	n      int                  // items counted
	words  [2]map[uint64]uint32 // by the lower-cased word's hash; [1] for English
	unused []uint32             // ids whose count fell to zero since the last forget
	free   []uint32             // ids of forgotten terms, for new ones
}

const (
	noTerm        = ^uint32(0) // a stop word
	wordCacheSize = 1 << 17
)

func newVocab(mix float64) *vocab {
	return &vocab{ids: make(map[string]uint32), mix: mix, bg: backgroundTable(), lex: lexicon()}
}

// neighbours returns the held terms close in meaning to a term.
func (v *vocab) neighbours(id uint32) []softLink {
	if v.known[id] {
		return v.nbrs[id]
	}
	links := v.nbrs[id][:0]
	for _, nb := range v.lex.nbrs[v.terms[id]] {
		if nid, ok := v.ids[nb.stem]; ok {
			links = append(links, softLink{nid, nb.sim})
		}
	}
	v.nbrs[id], v.known[id] = links, true
	return links
}

// relink unsets the resolved neighbours of the terms that have term as
// a neighbour, which arrived or left.
func (v *vocab) relink(term string) {
	for _, s := range v.lex.rev[term] {
		if id, ok := v.ids[s]; ok {
			v.known[id] = false
		}
	}
}

// term returns the term id of a word, or noTerm for a stop word.
func (v *vocab) term(w word, english bool) uint32 {
	k := 0
	if english {
		k = 1
	}
	if id, ok := v.words[k][w.hash]; ok {
		return id
	}
	if v.words[k] == nil || len(v.words[k]) >= wordCacheSize {
		v.words[k] = make(map[uint64]uint32, 1024)
	}
	id := noTerm
	if !isStop(w.lower) {
		id = v.id(stem(w.lower, english), w.lower)
	}
	v.words[k][w.hash] = id
	return id
}

// id returns the id of a term, interning it with form as the word to
// show for it.
func (v *vocab) id(term, form string) uint32 {
	if id, ok := v.ids[term]; ok {
		return id
	}
	var id uint32
	if n := len(v.free); n > 0 {
		id, v.free = v.free[n-1], v.free[:n-1]
		v.terms[id], v.keys[id], v.forms[id] = term, hashString(term), form
		v.bgIDF[id] = float32(v.bg.idf(term))
		v.known[id] = false
	} else {
		id = uint32(len(v.df))
		v.terms = append(v.terms, term)
		v.forms = append(v.forms, form)
		v.bgIDF = append(v.bgIDF, float32(v.bg.idf(term)))
		v.refs = append(v.refs, 0)
		v.nbrs = append(v.nbrs, nil)
		v.known = append(v.known, false)
		v.keys = append(v.keys, hashString(term))
		v.df = append(v.df, 0)
	}
	v.ids[term] = id
	v.relink(term)
	return id
}

// idf is the smoothed inverse document frequency, the window's own mixed
// with the news at large's. The +1 keeps a term seen in every item from
// vanishing entirely.
func (v *vocab) idf(id uint32) float64 {
	own := math.Log(float64(v.n+1)/float64(v.df[id]+1)) + 1
	if v.mix == 0 {
		return own
	}
	return (1-v.mix)*own + v.mix*float64(v.bgIDF[id])
}

// count records one item's distinct terms.
func (v *vocab) count(ids []uint32) {
	v.n++
	for _, id := range ids {
		v.df[id]++
	}
}

// uncount takes back what count recorded for an item that is let go.
func (v *vocab) uncount(ids []uint32) {
	v.n--
	for _, id := range ids {
		if v.df[id]--; v.df[id] == 0 && v.refs[id] == 0 {
			v.unused = append(v.unused, id)
		}
	}
}

// hold keeps the terms of a vector from being forgotten while a held doc
// points at them without counting them (its soft vector).
func (v *vocab) hold(vec sparse) {
	for _, e := range vec {
		v.refs[e.id]++
	}
}

// release undoes hold for a doc that is let go.
func (v *vocab) release(vec sparse) {
	for _, e := range vec {
		if v.refs[e.id]--; v.refs[e.id] == 0 && v.df[e.id] == 0 {
			v.unused = append(v.unused, e.id)
		}
	}
}

// forget drops the terms no held item uses any more, and calls gone with
// each: their ids will be given to new terms.
func (v *vocab) forget(gone func(id uint32)) {
	if len(v.unused) == 0 {
		return
	}
	for _, id := range v.unused {
		if v.df[id] == 0 && v.refs[id] == 0 && v.terms[id] != "" {
			delete(v.ids, v.terms[id])
			v.relink(v.terms[id])
			v.terms[id], v.forms[id] = "", ""
			v.free = append(v.free, id)
			gone(id)
		}
	}
	v.unused = v.unused[:0]
	for _, cache := range v.words {
		for w, id := range cache {
			if id != noTerm && v.terms[id] == "" {
				delete(cache, w) // it pointed at a forgotten term
			}
		}
	}
}

// Vectors are stored in fixed point: an event's centroid is a sum of its
// members' vectors, and integer sums do not depend on the order of the
// additions. That makes the events rebuilt by Restore (one doc at a time)
// bit-identical to those grown and merged in an uninterrupted run.
const unit = 1 << 12

// entry is one weighted term of a sparse vector; w is in units of 1/unit.
type entry struct {
	id uint32
	w  int32
}

// sparse is a vector as entries sorted by id, of length about unit.
type sparse []entry

// weight is a term's raw weight while a vector is built.
type weight struct {
	id uint32
	w  float64
}

type weights []weight

// addTF appends the log term frequencies of terms, times factor.
func (ws *weights) addTF(terms []uint32, factor float64) {
	sorted := slices.Clone(terms)
	slices.Sort(sorted)
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		*ws = append(*ws, weight{sorted[i], factor * (1 + math.Log(float64(j-i)))})
		i = j
	}
}

// merge sorts by id and sums the weights of equal ids.
func (ws weights) merge() weights {
	slices.SortStableFunc(ws, func(a, b weight) int { return cmp.Compare(a.id, b.id) })
	out := ws[:0]
	for _, x := range ws {
		if n := len(out); n > 0 && out[n-1].id == x.id {
			out[n-1].w += x.w
		} else {
			out = append(out, x)
		}
	}
	return out
}

// dedup sorts by id and keeps the first weight of equal ids.
func (ws weights) dedup() weights {
	slices.SortStableFunc(ws, func(a, b weight) int { return cmp.Compare(a.id, b.id) })
	out := ws[:0]
	for _, x := range ws {
		if n := len(out); n == 0 || out[n-1].id != x.id {
			out = append(out, x)
		}
	}
	return out
}

// quantize turns raw weights, sorted by id, into a unit-length fixed-point
// vector.
func (ws weights) quantize() sparse {
	var norm float64
	for _, x := range ws {
		norm += x.w * x.w
	}
	if norm == 0 {
		return nil
	}
	scale := unit / math.Sqrt(norm)
	out := make(sparse, 0, len(ws))
	for _, x := range ws {
		if q := int32(math.Round(x.w * scale)); q > 0 {
			out = append(out, entry{x.id, q})
		}
	}
	return out
}

// dot is the inner product of two vectors, in units of 1/unit².
func (a sparse) dot(b sparse) int64 {
	var s int64
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i].id < b[j].id:
			i++
		case a[i].id > b[j].id:
			j++
		default:
			s += int64(a[i].w) * int64(b[j].w)
			i++
			j++
		}
	}
	return s
}

// cosine of two unit vectors.
func (a sparse) cosine(b sparse) float64 { return float64(a.dot(b)) / (unit * unit) }

// has reports whether the vector holds the term.
func (a sparse) has(id uint32) bool {
	_, ok := slices.BinarySearchFunc(a, id, func(e entry, id uint32) int { return cmp.Compare(e.id, id) })
	return ok
}

// top returns the k heaviest entries (ties by id), sorted by id again.
func (a sparse) top(k int) sparse {
	if len(a) <= k {
		return a
	}
	c := slices.Clone(a)
	slices.SortFunc(c, func(x, y entry) int {
		if x.w != y.w {
			return int(y.w - x.w)
		}
		return cmp.Compare(x.id, y.id)
	})
	c = c[:k]
	slices.SortFunc(c, func(x, y entry) int { return cmp.Compare(x.id, y.id) })
	return c
}

// termStat is what an event holds per term: the sums of its members'
// weights (full and title vectors) and how many members hold the term.
type termStat struct {
	id         uint32
	count      int32
	all, title int64
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
		c.allNorm2 += 2*st.all*int64(e.w) + int64(e.w)*int64(e.w)
		st.all += int64(e.w)
		st.count++
		for j < len(title) && title[j].id < e.id {
			j++
		}
		if j < len(title) && title[j].id == e.id {
			w := int64(title[j].w)
			c.tNorm2 += 2*st.title*w + w*w
			st.title += w
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
		dot += int64(e.w) * st.all
		for j < len(title) && title[j].id < e.id {
			j++
		}
		if j < len(title) && title[j].id == e.id {
			tdot += int64(title[j].w) * st.title
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
			s += c.terms[i].all * o.terms[j].all
			i++
			j++
		}
	}
	return float64(s) / math.Sqrt(float64(c.allNorm2)) / math.Sqrt(float64(o.allNorm2))
}

// cohesion is the members' mean cosine to the centroid, which for a sum of
// n unit vectors is its length over n: 1 for one doc or exact copies, low
// for a story told in many wordings.
func cohesion(norm2 int64, n int) float64 {
	if n == 0 {
		return 1
	}
	return math.Sqrt(float64(norm2)) / unit / float64(n)
}

// heaviest returns the k terms with the largest sums (ties: smaller id).
func (c *centroids) heaviest(k int) []uint32 {
	all := slices.Clone(c.terms)
	slices.SortFunc(all, func(a, b termStat) int {
		if a.all != b.all {
			if a.all > b.all {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.id, b.id)
	})
	out := make([]uint32, 0, min(k, len(all)))
	for _, st := range all[:min(k, len(all))] {
		out = append(out, st.id)
	}
	return out
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
		c.allNorm2 += -2*st.all*int64(e.w) + int64(e.w)*int64(e.w)
		st.all -= int64(e.w)
		st.count--
		for j < len(title) && title[j].id < e.id {
			j++
		}
		if j < len(title) && title[j].id == e.id {
			w := int64(title[j].w)
			c.tNorm2 += -2*st.title*w + w*w
			st.title -= w
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
