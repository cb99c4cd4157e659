package events

// habitMaxKeys bounds the term counts kept for all sources together. A
// prune halves the counts, item counts included, so it forgets the terms
// a source used once, never its habits. The bound must leave each source
// enough items between prunes to measure a share: 2^20 counts are a few
// hundred items per source for a few hundred sources (2^17 was
// tried: 2% faster on the stress stream, but only some tens of items per
// source there).
const habitMaxKeys = 1 << 20

// habits are the terms a source uses under a large share of its items
// ("patrol" in every "... | TV Patrol" title, "cnn" in every CNN video
// description). Segments and shingles catch repeated text; habits catch
// repeated words whose surroundings vary. A term's weight in a doc of the
// source is scaled down by how much more often than in HabitShare of
// its items the source used it. Counts of all sources share one bound,
// as the boilerplate's do.
type habits struct {
	share   float64
	minimum int
	sources map[uint64]*sourceHabits // by hashString(source)
	keys    int                      // term counts held, over all sources
}

// sourceHabits are one source's counts: its items, and its items holding
// each term. A doc's lookups all fall in its source's table, which is
// small, rather than in one big table shared by all sources.
type sourceHabits struct {
	n  int32
	df map[uint64]int32 // by the term's key (vocab.keys), which outlives its id
}

func newHabits(share float64) *habits {
	return &habits{share: share, minimum: 8, sources: make(map[uint64]*sourceHabits)}
}

// of returns a source's counts (nil for an unnamed source).
func (h *habits) of(source string) *sourceHabits {
	if source == "" {
		return nil
	}
	key := hashString(source)
	src := h.sources[key]
	if src == nil {
		src = &sourceHabits{df: make(map[uint64]int32)}
		h.sources[key] = src
	}
	return src
}

// discount returns the factor for a term of the source, 1 for most.
func (h *habits) discount(src *sourceHabits, key uint64) float64 {
	if src == nil || int(src.n) < h.minimum || h.share <= 0 {
		return 1
	}
	share := float64(src.df[key]) / float64(src.n)
	if share <= h.share {
		return 1
	}
	return h.share / share
}

// record counts the item's distinct terms under its source; keys holds
// each term's key, by id.
func (h *habits) record(src *sourceHabits, terms weights, keys []uint64) {
	if src == nil {
		return
	}
	src.n++
	before := len(src.df)
	for _, t := range terms {
		src.df[keys[t.id]]++
	}
	h.keys += len(src.df) - before
	if h.keys > habitMaxKeys {
		h.prune()
	}
}

// prune halves all counts until at most half the bound is held, as the
// boilerplate's prune does. Halving the item counts with the term counts
// keeps the shares.
func (h *habits) prune() {
	for h.keys > habitMaxKeys/2 {
		h.keys = 0
		for _, s := range h.sources {
			s.df = halved(s.df)
			s.n >>= 1
			h.keys += len(s.df)
		}
	}
}
