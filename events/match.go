package events

import "math"

// Whether a doc joins an event is decided from several views of their
// likeness, each of which fails somewhere alone. None is a centroid that
// every join would move:
//
//   - best, agree: the doc's cosine to the event's closest core member (its
//     first eight), and to the second closest: an event is what its first
//     reports say, and a doc that resembles only one member of a grown
//     event (through the storyline's common words) does not report its
//     happening;
//   - tbest, tagree: the same for titles;
//   - founder: its likeness to the event's first report, words close in
//     meaning included. A doc sharing nothing with it is not a candidate at
//     all: every member is one step from the founder, so no chain of
//     reports, each like the last, can carry an event away from what it
//     was about;
//   - hours since the event's latest doc and since its first: news moves on,
//     and an event is one news cycle;
//   - names: the share of the doc's names (by IDF) a core member mentions;
//   - rare: the highest IDF among the words it shares with a core member
//     (a happening has a word of its own; a storyline's common words are
//     not enough);
//   - soft: the titles' likeness through words close in meaning
//     (lexicon.go).
//
// A logistic model combines them into the probability that the doc
// reports the event's happening. Its weights are fitted (fit.go) on
// labeled windows: first with the gold events as events, then on the
// clusterer's own runs, impure events included.

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
	fFounder
	numFeatures
)

// featureNames name the features in the generated model file.
var featureNames = [numFeatures]string{"best", "agree", "tbest", "tagree", "hours_last", "hours_first", "names", "rare", "soft", "founder"}

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
	var b1, b2, t1, t2, rare, soft, names float64
	for k, m := range ev.members[:min(n, coreSize)] {
		s, ts, r, so, nm := c.spread.compare(m.an.vec(), m.an.tvec(), m.an.soft)
		soft, names = max(soft, so), max(names, nm)
		if k == 0 {
			if x[fFounder] = s + so; x[fFounder] == 0 {
				return x // not a candidate (see eachCandidate)
			}
		}
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
	// A grown event wants more than one member's word for a newcomer:
	// agreement is the second-closest member's likeness.
	x[fBest], x[fAgree] = b1, b2
	x[fTitleBest], x[fTitleAgree] = t1, t2
	x[fHoursLast] = math.Log1p(math.Abs(ds.published.Sub(ev.last()).Hours()))
	x[fHoursFirst] = math.Log1p(math.Abs(ds.published.Sub(ev.first()).Hours()))
	if total := sum(nameIDF); total > 0 {
		x[fNames] = names / total
	}
	x[fRare] = rare / (math.Log(float64(c.vocab.n+1)) + 1)
	x[fSoft] = soft
	return x
}

// spread is one doc's vectors laid out by term id, so that comparing the
// doc with many members costs one walk of each member's vectors. One
// term's numbers sit together, one cache line for all of them.
type spread []spreadTerm

// spreadTerm is what the loaded doc holds of one term, zero if nothing:
// its weight, title weight and soft weight, its IDF if the doc holds it,
// and its IDF again if it is one of the doc's names.
type spreadTerm struct {
	w, t, soft int32
	idf, name  float32
}

// load lays out a doc's vectors; nTerms bounds the term ids.
func (s *spread) load(vec, tvec, soft sparse, names []uint32, nTerms int, idf func(uint32) float64) {
	if len(*s) < nTerms {
		*s = make(spread, max(nTerms, 2*len(*s)))
	}
	sp := *s
	for _, e := range vec {
		sp[e.id].w, sp[e.id].idf = e.w, float32(idf(e.id))
	}
	for _, e := range tvec {
		sp[e.id].t = e.w
	}
	for _, e := range soft {
		sp[e.id].soft = e.w
	}
	for _, id := range names {
		sp[id].name = sp[id].idf
	}
}

// clear undoes load.
func (s spread) clear(vec, tvec, soft sparse) {
	for _, v := range [3]sparse{vec, tvec, soft} {
		for _, e := range v {
			s[e.id] = spreadTerm{}
		}
	}
}

// compare returns the loaded doc's cosine with a member's vector and
// title vector, the highest IDF among the terms they share, the titles'
// likeness through words close in meaning (each title against the other's
// soft vector, averaged), and the IDF of the doc's names the member
// mentions.
func (s spread) compare(vec, tvec, soft sparse) (cos, tcos, rare, sim, names float64) {
	var dot, tdot, sdot int64
	var r, nm float32
	for _, e := range vec {
		if x := &s[e.id]; x.w != 0 {
			dot += int64(x.w) * int64(e.w)
			r = max(r, x.idf)
			nm += x.name
		}
	}
	for _, e := range tvec {
		x := &s[e.id]
		tdot += int64(x.t) * int64(e.w)
		sdot += int64(x.soft) * int64(e.w)
	}
	for _, e := range soft {
		sdot += int64(s[e.id].t) * int64(e.w)
	}
	const u2 = unit * unit
	return float64(dot) / u2, float64(tdot) / u2, float64(r), float64(sdot) / 2 / u2, float64(nm)
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
