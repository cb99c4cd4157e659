package events

import (
	"math/rand/v2"
	"testing"
)

// The set of terms over the limit only spares lookups: every discount
// must equal the one computed from the counts alone, as the stream grows,
// as shares fall back under the limit, and after a prune.
func TestHabitDiscountMatchesCounts(t *testing.T) {
	h := newHabits(0.25)
	rng := rand.New(rand.NewPCG(7, 7))
	want := func(src *sourceHabits, id uint32) float64 {
		if int(src.n) < h.minimum {
			return 1
		}
		if share := float64(src.df[id]) / float64(src.n); share > h.share {
			return h.share / share
		}
		return 1
	}
	for item := range 5000 {
		src := h.of([]string{"a", "b", "c"}[rng.IntN(3)])
		var terms weights
		seen := map[uint32]bool{}
		for range 12 {
			// A few terms a source uses often, many it uses rarely; the
			// frequent ones change as the stream goes on.
			id := uint32(rng.IntN(400))
			if rng.IntN(3) == 0 {
				id = uint32(item/1000*10 + rng.IntN(4))
			}
			if !seen[id] {
				seen[id] = true
				terms = append(terms, weight{id: id})
			}
		}
		for _, s := range h.sources {
			for id := range uint32(460) {
				if got, w := h.discount(s, id), want(s, id); got != w {
					t.Fatalf("item %d, term %d: discount %v, from the counts %v", item, id, got, w)
				}
			}
		}
		h.record(src, terms)
		if item%1700 == 1699 {
			h.keys = boilerMaxKeys + 1 // as if the bound were reached
			h.prune()
		}
	}
}
