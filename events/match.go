package events

import (
	"math"
	"slices"
)

// Whether a doc joins an event is decided from several views of their
// likeness, because each alone fails somewhere:
//
//   - cos: the cosine between the doc and the event's centroid, the
//     classic single-pass measure;
//   - ratio: that cosine over the event's cohesion, because a story told
//     in many wordings has a diffuse centroid that no member is close to,
//     while one doc or a set of wire copies should be matched closely;
//   - tcos, tratio: the same for titles alone, because a headline is the
//     writer's own summary and a long description dilutes the full vector;
//   - vote: the share of the doc's weight on terms that, in the docs seen so
//     far, occur mostly in this event: each term splits its weight among
//     the earlier docs holding it, so a name found only in one story
//     points at it, whatever its IDF, and a word found in many stories
//     says little about any (only the excess over the event's own share
//     of the docs counts: a big event is no evidence by its size);
//   - hours: the log of the hours since the event's latest doc, because news
//     moves on (Tuesday's case count is not Wednesday's);
//   - names: the share of the doc's names (by IDF) the event mentions.
//
// A logistic model combines them into the probability that the doc
// reports the event's happening. Its weights were fitted on the three
// development sets together, one set of weights for all: first a logistic
// regression on every (doc, candidate event) pair with the gold clusters
// as events, then a coordinate search on the scores of the streaming runs
// (rounded; the scores move by about 0.01 within ±10% of each weight).
// The ratios weigh negatively given the cosines: among events equally
// close, a loose one is the weaker match.

const (
	fCos = iota
	fRatio
	fTitleCos
	fTitleRatio
	fVote
	fHours
	fNames
	numFeatures
)

// Model is a logistic model over the (doc, event) features.
type Model struct {
	Weights [numFeatures]float64
	Bias    float64
}

// defaultModel holds the fitted weights (see the package README for how
// they were fitted and what they score).
var defaultModel = Model{
	//                        cos  ratio tcos tratio vote hours names
	Weights: [numFeatures]float64{15, -1, 5.5, -1.5, 19.5, -1.5, 1},
	Bias:    -5.8,
}

// features of a (doc, event) pair.
type features [numFeatures]float64

func (m Model) prob(x features) float64 {
	z := m.Bias
	for i, w := range m.Weights {
		z += w * x[i]
	}
	return 1 / (1 + math.Exp(-z))
}

// features computes the likeness of a doc and an event. nameIDF holds the
// IDF of each of the doc's entities, computed once per doc.
func (c *Clusterer) features(ds *docState, nameIDF []float64, ev *eventState) features {
	var x features
	n := ev.size()
	var names float64
	// The event's share of the docs held is what a term spread at random
	// would point at it; only the excess counts, so a big event does not
	// win every doc through common words. (A hundred pseudo-docs keep a
	// young stream from counting every event as big.)
	base := float64(n) / float64(len(c.docs)+100)
	var votes float64
	l := ev.sums.compare(ds.an.vec, ds.an.tvec, func(e entry, st termStat) {
		earlier := float64(c.vocab.df[e.id]) - 1 // the docs before this one
		if share := float64(st.count) / (earlier + 1); share > base {
			votes += float64(e.w) * (share - base) / (1 - base)
		}
		if k, ok := slices.BinarySearch(ds.an.entIDs, e.id); ok {
			names += nameIDF[k]
		}
	})
	x[fCos] = l.cos
	x[fRatio] = l.cos / cohesion(ev.sums.allNorm2, n)
	x[fTitleCos] = l.titleCos
	if coh := cohesion(ev.sums.tNorm2, n); coh > 0 {
		x[fTitleRatio] = l.titleCos / coh
	}
	if ds.an.mass > 0 {
		x[fVote] = votes / ds.an.mass
	}
	x[fHours] = math.Log1p(math.Abs(ds.doc.Published.Sub(ev.last).Hours()))
	if total := sum(nameIDF); total > 0 {
		x[fNames] = names / total
	}
	return x
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

// nameIDFs computes the IDF of each of the doc's entities.
func (c *Clusterer) nameIDFs(ds *docState) []float64 {
	out := make([]float64, len(ds.an.entIDs))
	for i, id := range ds.an.entIDs {
		out[i] = c.vocab.idf(id)
	}
	return out
}
