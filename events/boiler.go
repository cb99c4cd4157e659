package events

import "slices"

// Feeds repeat text under many of their items: a YouTube channel's
// description ("Subscribe to our channel ..."), a show name in every title
// ("... | TV Patrol", "24 Oras: ..."), a dateline. Such text says nothing
// about the story, yet it makes every item of the feed look alike. The
// boilerplate learner finds it from the stream itself: per source, it
// counts in how many items each run of words (a shingle of the description,
// a segment of the title) occurs, and text already seen under enough
// earlier items of the same source is dropped before comparison.
//
// Only repetition inside one source counts: the same wire sentence in two
// publishers is evidence of one story, not boilerplate.

const (
	boilerShingle = 6       // words per description shingle: longer than a news phrase
	boilerMaxKeys = 1 << 15 // per source, before pruning the rarest keys
)

// boilerplate holds the per-source counts.
type boilerplate struct {
	minItems int // earlier items of the source that must carry a text
	sources  map[string]map[uint64]uint16
}

func newBoilerplate(minItems int) *boilerplate {
	return &boilerplate{minItems: minItems, sources: make(map[string]map[uint64]uint16)}
}

// clean returns the title words and body words of one item with its
// source's boilerplate removed, then records the item's own text, so the
// next items of the source learn from it. Items without a source are
// passed through: there is nobody to learn the habits of.
func (b *boilerplate) clean(source string, title, body []word) ([]word, []word) {
	if source == "" || b.minItems <= 0 {
		return title, body
	}
	counts := b.sources[source]
	if counts == nil {
		counts = make(map[uint64]uint16)
		b.sources[source] = counts
	}
	segs := titleSegments(title)
	shingles := bodyShingles(body)
	if len(segs) == 0 && len(shingles) == 0 {
		return title, body
	}
	title = b.dropSegments(counts, title, segs)
	body = b.dropShingles(counts, body, shingles)
	b.record(counts, segs, shingles)
	return title, body
}

func (b *boilerplate) seen(counts map[uint64]uint16, h uint64) bool {
	return int(counts[h]) >= b.minItems
}

// dropSegments removes title segments (text between separators such as
// ":" and "|") that the source has used under enough earlier items. A
// title made only of boilerplate (a recurring show, "Your Daily Horoscope")
// is dropped whole: it names no happening.
func (b *boilerplate) dropSegments(counts map[uint64]uint16, title []word, segs []segment) []word {
	var kept []word
	for _, s := range segs {
		if !b.seen(counts, s.hash) {
			kept = append(kept, title[s.from:s.to]...)
		}
	}
	return kept
}

// dropShingles removes every body word covered by a known shingle.
func (b *boilerplate) dropShingles(counts map[uint64]uint16, body []word, shingles []uint64) []word {
	drop := make([]bool, len(body))
	any := false
	for i, h := range shingles {
		if b.seen(counts, h) {
			any = true
			for k := i; k < i+boilerShingle; k++ {
				drop[k] = true
			}
		}
	}
	if !any {
		return body
	}
	kept := make([]word, 0, len(body))
	for i, w := range body {
		if !drop[i] {
			kept = append(kept, w)
		}
	}
	return kept
}

// record counts each distinct key of the item once.
func (b *boilerplate) record(counts map[uint64]uint16, segs []segment, shingles []uint64) {
	keys := make([]uint64, 0, len(segs)+len(shingles))
	for _, s := range segs {
		keys = append(keys, s.hash)
	}
	keys = append(keys, shingles...)
	slices.Sort(keys)
	for i, h := range keys {
		if (i == 0 || keys[i-1] != h) && counts[h] < 1<<15 {
			counts[h]++
		}
	}
	if len(counts) > boilerMaxKeys {
		prune(counts)
	}
}

// prune halves every count and forgets the keys that fall to zero, until
// at most half the bound is left: memory stays bounded, and what a source
// repeats often (its boilerplate) outlives what it said once or twice.
// It returns how many times the counts were halved.
func prune[K comparable, N uint16 | int32](counts map[K]N) int {
	rounds := 0
	for ; len(counts) > boilerMaxKeys/2; rounds++ {
		for k, n := range counts {
			if n <= 1 {
				delete(counts, k)
			} else {
				counts[k] = n / 2
			}
		}
	}
	return rounds
}

// segment is a run of title words between two separators.
type segment struct {
	from, to int
	hash     uint64
}

func titleSegments(title []word) []segment {
	var segs []segment
	from := 0
	for i := 1; i <= len(title); i++ {
		if i == len(title) || title[i].hardBreak || title[i].sentStart {
			segs = append(segs, segment{from: from, to: i, hash: hashWords(title[from:i])})
			from = i
		}
	}
	return segs
}

func bodyShingles(body []word) []uint64 {
	if len(body) < boilerShingle {
		return nil
	}
	hs := make([]uint64, len(body))
	for i, w := range body {
		hs[i] = hashString(w.lower)
	}
	out := make([]uint64, 0, len(body)-boilerShingle+1)
	for i := 0; i+boilerShingle <= len(body); i++ {
		out = append(out, combine(hs[i:i+boilerShingle]))
	}
	return out
}

func hashWords(ws []word) uint64 {
	hs := make([]uint64, len(ws))
	for i, w := range ws {
		hs[i] = hashString(w.lower)
	}
	return combine(hs)
}

// combine hashes a sequence of word hashes, order-sensitive.
func combine(hs []uint64) uint64 {
	h := uint64(len(hs))
	for _, x := range hs {
		h = mix64(h ^ x)
	}
	return h
}

// habits are the terms a source uses under a large share of its items
// ("patrol" in every "... | TV Patrol" title, "cnn" in every CNN video
// description). Segments and shingles catch repeated text; habits catch
// repeated words whose surroundings vary. A term's weight in a doc of the
// source is scaled down by how much more often than in HabitShare of
// its items the source used it.
type habits struct {
	share   float64
	minimum int
	sources map[string]*habit
}

type habit struct {
	n  int
	df map[uint32]int32
}

func newHabits(share float64) *habits {
	return &habits{share: share, minimum: 8, sources: make(map[string]*habit)}
}

// discount returns the factor for a term of the source, 1 for most.
func (h *habits) discount(src *habit, id uint32) float64 {
	if src == nil || src.n < h.minimum || h.share <= 0 {
		return 1
	}
	share := float64(src.df[id]) / float64(src.n)
	if share <= h.share {
		return 1
	}
	return h.share / share
}

// of returns the source's record, nil for an unnamed source.
func (h *habits) of(source string) *habit {
	if source == "" {
		return nil
	}
	src := h.sources[source]
	if src == nil {
		src = &habit{df: make(map[uint32]int32)}
		h.sources[source] = src
	}
	return src
}

// record counts the item's distinct terms under its source.
func (h *habits) record(src *habit, ids []uint32) {
	if src == nil {
		return
	}
	src.n++
	for _, id := range ids {
		src.df[id]++
	}
	if len(src.df) > boilerMaxKeys {
		// Halving the item count with the counts keeps the shares.
		src.n >>= prune(src.df)
	}
}
