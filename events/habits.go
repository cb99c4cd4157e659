package events

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
	df map[uint32]int32
	// over holds every term whose share is over the limit, and some that
	// were: most of a doc's terms are not, and this small set answers
	// for them without a lookup in the large df table. A term gets over
	// only when its count grows, so record adds it then; the set is
	// rebuilt from df when the source reaches the minimum of items, when
	// its item count doubles (dropping terms long back under) and after
	// a prune.
	over map[uint32]struct{}
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
		src = &sourceHabits{df: make(map[uint32]int32), over: make(map[uint32]struct{})}
		h.sources[key] = src
	}
	return src
}

// discount returns the factor for a term of the source, 1 for most.
func (h *habits) discount(src *sourceHabits, id uint32) float64 {
	if src == nil || int(src.n) < h.minimum || h.share <= 0 {
		return 1
	}
	if _, ok := src.over[id]; !ok {
		return 1
	}
	share := float64(src.df[id]) / float64(src.n)
	if share <= h.share {
		return 1
	}
	return h.share / share
}

// record counts the item's distinct terms under its source.
func (h *habits) record(src *sourceHabits, terms weights) {
	if src == nil {
		return
	}
	src.n++
	before := len(src.df)
	check := h.share > 0 && int(src.n) > h.minimum // below it, findOver does it at once
	for _, t := range terms {
		c := src.df[t.id] + 1
		src.df[t.id] = c
		if check && h.isOver(c, src.n) {
			src.over[t.id] = struct{}{}
		}
	}
	h.keys += len(src.df) - before
	if n := int(src.n); n == h.minimum || n > h.minimum && n&(n-1) == 0 {
		h.findOver(src)
	}
	if h.keys > boilerMaxKeys {
		h.prune()
	}
}

// isOver reports whether a term in df of a source's n items is over the
// limit, computed exactly as discount does.
func (h *habits) isOver(df, n int32) bool {
	return float64(df)/float64(n) > h.share
}

// findOver rebuilds the set of terms over the limit from the counts.
func (h *habits) findOver(src *sourceHabits) {
	clear(src.over)
	if h.share <= 0 {
		return
	}
	for id, df := range src.df {
		if h.isOver(df, src.n) {
			src.over[id] = struct{}{}
		}
	}
}

// prune halves all counts until at most half the bound is held, as the
// boilerplate's prune does. Halving the item counts with the term counts
// keeps the shares.
func (h *habits) prune() {
	for h.keys > boilerMaxKeys/2 {
		h.keys = 0
		for _, s := range h.sources {
			halve(s.df)
			s.n >>= 1
			h.findOver(s)
			h.keys += len(s.df)
		}
	}
}
