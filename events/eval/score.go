package eval

import (
	"cmp"
	"fmt"
	"slices"
)

// Scores compares a predicted clustering with gold labels the way
// shared/eval/score.py does: gold ids missing from the prediction count
// as singletons of their own, predicted ids not in gold are ignored.
type Scores struct {
	Items, GoldClusters, PredClusters int
	GoldSingletons, PredSingletons    int
	Missing, Extra                    int

	BcubedP, BcubedR, BcubedF1 float64 // B-cubed, averaged over items
	PairP, PairR, PairF1       float64 // over unordered pairs of items
	PairTP, PairFP, PairFN     int64
}

// Score computes B-cubed and pairwise precision, recall and F1 of pred
// (doc id → cluster) against gold (doc id → event). With no predicted
// pair, pairwise precision is 1 (no false merge), as in score.py.
func Score(gold, pred map[string]string) Scores {
	ids := make([]string, 0, len(gold))
	for id := range gold {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	type cell struct{ g, p string }
	cells := map[cell]int{}
	gsize, psize := map[string]int{}, map[string]int{}
	var s Scores
	for _, id := range ids {
		p, ok := pred[id]
		if ok {
			p = "p:" + p
		} else {
			p = "missing:" + id
			s.Missing++
		}
		g := gold[id]
		cells[cell{g, p}]++
		gsize[g]++
		psize[p]++
	}
	for id := range pred {
		if _, ok := gold[id]; !ok {
			s.Extra++
		}
	}
	s.Items, s.GoldClusters, s.PredClusters = len(ids), len(gsize), len(psize)
	s.GoldSingletons, s.PredSingletons = singletons(gsize), singletons(psize)
	if s.Items == 0 {
		return s
	}
	keys := make([]cell, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b cell) int {
		if a.g != b.g {
			return cmp.Compare(a.g, b.g)
		}
		return cmp.Compare(a.p, b.p)
	})
	var bp, br float64
	for _, k := range keys {
		c := float64(cells[k])
		bp += c * c / float64(psize[k.p])
		br += c * c / float64(gsize[k.g])
		s.PairTP += pairs(cells[k])
	}
	n := float64(s.Items)
	s.BcubedP, s.BcubedR = bp/n, br/n
	s.BcubedF1 = f1(s.BcubedP, s.BcubedR)
	predPairs, goldPairs := sumPairs(psize), sumPairs(gsize)
	s.PairFP, s.PairFN = predPairs-s.PairTP, goldPairs-s.PairTP
	s.PairP, s.PairR = 1, 1
	if predPairs > 0 {
		s.PairP = float64(s.PairTP) / float64(predPairs)
	}
	if goldPairs > 0 {
		s.PairR = float64(s.PairTP) / float64(goldPairs)
	}
	s.PairF1 = f1(s.PairP, s.PairR)
	return s
}

func pairs(n int) int64 { return int64(n) * int64(n-1) / 2 }

func sumPairs(sizes map[string]int) int64 {
	var t int64
	for _, n := range sizes {
		t += pairs(n)
	}
	return t
}

func singletons(sizes map[string]int) int {
	k := 0
	for _, n := range sizes {
		if n == 1 {
			k++
		}
	}
	return k
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// String formats the scores like score.py's text report.
func (s Scores) String() string {
	return fmt.Sprintf("items %d   gold clusters %d (singletons %d)   pred clusters %d (singletons %d)\n"+
		"missing ids %d (scored as singletons)   extra ids %d (ignored)\n"+
		"B-cubed   P %.4f  R %.4f  F1 %.4f\n"+
		"pairwise  P %.4f  R %.4f  F1 %.4f",
		s.Items, s.GoldClusters, s.GoldSingletons, s.PredClusters, s.PredSingletons,
		s.Missing, s.Extra,
		s.BcubedP, s.BcubedR, s.BcubedF1, s.PairP, s.PairR, s.PairF1)
}
