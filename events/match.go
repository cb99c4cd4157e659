package events

import "math"

// Whether a doc joins an event is decided from several views of their
// likeness, each of which fails somewhere alone:
//
//   - cos, tcos: the cosine between the doc and the event's centroid, for
//     the full vector and for titles alone;
//   - best, agree: the doc's cosine to the event's closest core member, and
//     the mean over its two closest: an event is what its first reports
//     say, and a doc that resembles only one member of a grown event
//     (through the storyline's common words) does not report its happening;
//   - tbest, tagree: the same for titles;
//   - hours since the event's latest doc and since its first: news moves on,
//     and an event is one news cycle;
//   - names: the share of the doc's names (by IDF) the event mentions;
//   - size: the log of the event's size.
//
// A logistic model combines them into the probability that the doc
// reports the event's happening. Its weights are fitted (fit.go) on
// labeled windows with the gold events as events.

const (
	fBest = iota
	fAgree
	fTitleBest
	fTitleAgree
	fHoursLast
	fHoursFirst
	fNames
	fRare
	fSoft
	numFeatures
)

// featureNames name the features in the generated model file.
var featureNames = [numFeatures]string{"best", "agree", "tbest", "tagree", "hours_last", "hours_first", "names", "rare", "soft"}

// Model is a logistic model over the (doc, event) features.
type Model struct {
	Weights [numFeatures]float64
	Bias    float64
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

// coreSize is how many of an event's first members stand for it.
const coreSize = 8

// features computes the likeness of a doc and an event. nameIDF holds the
// IDF of each of the doc's entities, computed once per doc; the doc must
// be loaded in c.spread.
func (c *Clusterer) features(ds *docState, nameIDF []float64, ev *eventState) features {
	var x features
	n := ev.size()
	var b1, b2, t1, t2, rare, soft float64
	for _, m := range ev.members[:min(n, coreSize)] {
		s, ts, r, so := c.spread.compare(m.an.vec, m.an.tvec, m.an.soft)
		soft = max(soft, so)
		if s > b1 {
			b1, b2 = s, b1
		} else if s > b2 {
			b2 = s
		}
		if ts > t1 {
			t1, t2 = ts, t1
		} else if ts > t2 {
			t2 = ts
		}
		rare = max(rare, r)
	}
	if n == 1 {
		b2, t2 = b1, t1
	}
	x[fBest], x[fAgree] = b1, (b1+b2)/2
	x[fTitleBest], x[fTitleAgree] = t1, (t1+t2)/2
	x[fHoursLast] = math.Log1p(math.Abs(ds.doc.Published.Sub(ev.last).Hours()))
	x[fHoursFirst] = math.Log1p(math.Abs(ds.doc.Published.Sub(ev.first).Hours()))
	x[fNames] = c.nameShare(ds, nameIDF, ev)
	x[fRare] = rare / (math.Log(float64(c.vocab.n+1)) + 1)
	x[fSoft] = soft
	return x
}

// spread is one doc's vectors laid out by term id, so that comparing the
// doc with many members costs one walk of each member's vectors: the
// doc's weights, title weights and IDFs, zero for terms it lacks.
type spread struct {
	w, t, soft []int32
	idf        []float32
}

// load lays out a doc's vectors; nTerms bounds the term ids.
func (s *spread) load(vec, tvec, soft sparse, nTerms int, idf func(uint32) float64) {
	if len(s.w) < nTerms {
		n := max(nTerms, 2*len(s.w))
		s.w, s.t, s.soft, s.idf = make([]int32, n), make([]int32, n), make([]int32, n), make([]float32, n)
	}
	for _, e := range soft {
		s.soft[e.id] = e.w
	}
	for _, e := range vec {
		s.w[e.id], s.idf[e.id] = e.w, float32(idf(e.id))
	}
	for _, e := range tvec {
		s.t[e.id] = e.w
	}
}

// clear undoes load.
func (s *spread) clear(vec, tvec, soft sparse) {
	for _, e := range soft {
		s.soft[e.id] = 0
	}
	for _, e := range vec {
		s.w[e.id] = 0
	}
	for _, e := range tvec {
		s.t[e.id] = 0
	}
}

// compare returns the loaded doc's cosine with a member's vector and
// title vector, the highest IDF among the terms they share, and the
// titles' likeness through words close in meaning (each title against
// the other's soft vector, averaged).
func (s *spread) compare(vec, tvec, soft sparse) (cos, tcos, rare, sim float64) {
	var dot, tdot, sdot int64
	var r float32
	for _, e := range vec {
		if w := s.w[e.id]; w != 0 {
			dot += int64(w) * int64(e.w)
			r = max(r, s.idf[e.id])
		}
	}
	for _, e := range tvec {
		tdot += int64(s.t[e.id]) * int64(e.w)
		sdot += int64(s.soft[e.id]) * int64(e.w)
	}
	for _, e := range soft {
		sdot += int64(s.t[e.id]) * int64(e.w)
	}
	const u2 = unit * unit
	return float64(dot) / u2, float64(tdot) / u2, float64(r), float64(sdot) / 2 / u2
}

// nameShare is the share of the doc's names, by IDF, that the event
// mentions.
func (c *Clusterer) nameShare(ds *docState, nameIDF []float64, ev *eventState) float64 {
	total := sum(nameIDF)
	if total == 0 {
		return 0
	}
	var shared float64
	for k, id := range ds.an.entIDs {
		if _, ok := ev.sums.find(id, 0); ok {
			shared += nameIDF[k]
		}
	}
	return shared / total
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
