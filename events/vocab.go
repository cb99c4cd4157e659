package events

import (
	"math"
	"strings"
)

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
	// tellingIDF is the background IDF below which a term is background:
	// held by more than tellingShare of the news at large.
	tellingIDF float32
	// The lexicon's neighbours of each term, resolved to held terms, while
	// known[id]; a neighbour's arrival or departure unsets it for the
	// terms it is a neighbour of. Few terms have any (the lexicon knows a
	// few thousand words), so they are in a map, not a list by id.
	lex    lexiconTable
	nbrs   map[uint32][]softLink
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

// tellingShare is the share of the news at large above which a term is
// its background for storylines ("coronavirus", "Trump" in 2020; a name
// that led a week's news, like George Floyd's, stays under it).
const tellingShare = 0.02

func newVocab(mix float64) *vocab {
	bg := backgroundTable()
	return &vocab{ids: make(map[string]uint32), nbrs: make(map[uint32][]softLink), mix: mix, bg: bg, lex: lexicon(),
		tellingIDF: float32(math.Log(1/tellingShare) + 1)}
}

// telling reports whether a term may tell a thread of events: it is not
// part of the background of the news at large (held by more than
// tellingShare of the items there).
func (v *vocab) telling(id uint32) bool { return v.bgIDF[id] >= v.tellingIDF }

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
	if len(links) > 0 {
		v.nbrs[id] = links
	} else {
		delete(v.nbrs, id)
	}
	v.known[id] = true
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
		form := w.lower
		if isAcronym(w.raw) {
			form = w.raw // "UST", not "ust"
		}
		id = v.id(stem(w.lower, english), form)
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
	// Copies: a word is a slice of its doc's text, which it would keep.
	if form == term {
		term = strings.Clone(term)
		form = term
	} else {
		term, form = strings.Clone(term), strings.Clone(form)
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
		v.known = append(v.known, false)
		v.keys = append(v.keys, hashString(term))
		v.df = append(v.df, 0)
	}
	v.ids[term] = id
	v.relink(term)
	return id
}

// spelling returns name as a string the clusterer may keep: the term's
// own form when they are equal (most mentions spell a name as its first),
// else a copy, since name is a slice of its doc's text.
func (v *vocab) spelling(id uint32, name string) string {
	if v.forms[id] == name {
		return v.forms[id]
	}
	return strings.Clone(name)
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

// uncountDoc takes back what count recorded for a doc that is let go: the
// terms of its vector and those it rounded away, merged back into the
// order they were counted in (the order ids are freed in is the order
// they are reused in).
func (v *vocab) uncountDoc(vec, rounded sparse) {
	v.n--
	i, j := 0, 0
	for i < len(vec) || j < len(rounded) {
		var id uint32
		if j == len(rounded) || i < len(vec) && vec[i].id < rounded[j].id {
			id, i = vec[i].id, i+1
		} else {
			id, j = rounded[j].id, j+1
		}
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
			delete(v.nbrs, id)
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
