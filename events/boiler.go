package events

import (
	"slices"
)

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
	boilerShingle = 6 // words per description shingle: longer than a news phrase
	// boilerMaxKeys bounds the counts kept for all sources together (about
	// 8 MB), whatever the number of feeds: a window of 5,000 feeds' items
	// would otherwise hold some tens of MB of shingles said once.
	boilerMaxKeys = 1 << 18
)

// boilerplate holds the counts, one table per source: an item's lookups
// all fall in its source's table, which is small, rather than in one big
// table shared by all sources.
type boilerplate struct {
	minItems int                          // earlier items of the source that must carry a text
	sources  map[uint64]map[uint64]uint16 // by hashString(source), then text hash
	keys     int                          // counts held, over all sources
	hashes   []uint64                     // clean's buffers, reused from item to item
	shingles []uint64
	sorted   []uint64
}

func newBoilerplate(minItems int) *boilerplate {
	return &boilerplate{minItems: minItems, sources: make(map[uint64]map[uint64]uint16)}
}

// clean returns the title words and body words of one item with its
// source's boilerplate removed, then records the item's own text, so the
// next items of the source learn from it. Items without a source are
// passed through: there is nobody to learn the habits of.
func (b *boilerplate) clean(source string, title, body []word) ([]word, []word) {
	if source == "" || b.minItems <= 0 {
		return title, body
	}
	segs := titleSegments(title)
	shingles := b.bodyShingles(body)
	if len(segs) == 0 && len(shingles) == 0 {
		return title, body
	}
	src := hashString(source)
	counts := b.sources[src]
	if counts == nil {
		counts = make(map[uint64]uint16)
		b.sources[src] = counts
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
	if !slices.ContainsFunc(segs, func(s segment) bool { return b.seen(counts, s.hash) }) {
		return title // the common case: nothing to drop, nothing to copy
	}
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
	before := len(counts)
	keys := b.sorted[:0]
	for _, s := range segs {
		keys = append(keys, s.hash)
	}
	keys = append(keys, shingles...)
	slices.Sort(keys)
	b.sorted = keys
	for i, h := range keys {
		if (i == 0 || keys[i-1] != h) && counts[h] < 1<<15 {
			counts[h]++
		}
	}
	b.keys += len(counts) - before
	if b.keys > boilerMaxKeys {
		b.prune()
	}
}

// prune halves every count and forgets the keys that fall to zero, until
// at most half the bound is left: memory stays bounded, and what a source
// repeats often (its boilerplate) outlives what it said once or twice.
func (b *boilerplate) prune() {
	for b.keys > boilerMaxKeys/2 {
		b.keys = 0
		for src, counts := range b.sources {
			if counts = halved(counts); len(counts) == 0 {
				delete(b.sources, src) // met again, it starts afresh, as it would
			} else {
				b.sources[src] = counts
			}
			b.keys += len(counts)
		}
	}
}

// halved returns the counts halved, without the keys that fall to zero,
// in a new map: a Go map keeps the space of its largest size, so halving
// in place would free nothing.
func halved[K comparable, N uint16 | int32](counts map[K]N) map[K]N {
	out := make(map[K]N, len(counts)/2)
	for k, n := range counts {
		if n > 1 {
			out[k] = n / 2
		}
	}
	return out
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

// bodyShingles hashes every run of boilerShingle body words. The result
// is in a buffer of b's, valid until the next item.
func (b *boilerplate) bodyShingles(body []word) []uint64 {
	if len(body) < boilerShingle {
		return nil
	}
	hs := b.hashes[:0]
	for _, w := range body {
		hs = append(hs, w.hash)
	}
	out := b.shingles[:0]
	for i := 0; i+boilerShingle <= len(body); i++ {
		out = append(out, combine(hs[i:i+boilerShingle]))
	}
	b.hashes, b.shingles = hs, out
	return out
}

// hashWords hashes a title segment's words, leaving out dates and
// numbers: a show's "Teleradyo (2 June 2020)" is the same furniture every
// day.
func hashWords(ws []word) uint64 {
	hs := make([]uint64, 0, len(ws))
	for _, w := range ws {
		if !isDated(w.lower) {
			hs = append(hs, w.hash)
		}
	}
	return combine(hs)
}

// isDated reports words that change from one edition of a show to the
// next: calendar words and numbers.
func isDated(lower string) bool {
	if isCalendar(lower) {
		return true
	}
	for i := 0; i < len(lower); i++ {
		if !isDigitByte(lower[i]) {
			return false
		}
	}
	return true
}

// combine hashes a sequence of word hashes, order-sensitive.
func combine(hs []uint64) uint64 {
	h := uint64(len(hs))
	for _, x := range hs {
		h = mix64(h ^ x)
	}
	return h
}
