package events

import (
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// minhashTerms must sign exactly what minhash(shingles(...)) of the
// joined terms signs: signatures decide duplicates, and a restored
// clusterer must find the ones an uninterrupted one found.
func TestMinhashTermsEqualsJoinedShingles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for n := range 400 {
		title := make([]uint32, n%5)
		body := make([]uint32, (n/5)%9)
		for i := range title {
			title[i] = rng.Uint32N(50)
		}
		for i := range body {
			body[i] = rng.Uint32N(50)
		}
		joined := append(append([]uint32(nil), title...), body...)
		if got, want := minhashTerms(title, body), minhash(shingles(joined)); got != want {
			t.Fatalf("title %v body %v: minhashTerms differs from minhash(shingles)", title, body)
		}
	}
}

// trimMarks and hasMarks replace strings.Trim and strings.ContainsAny on
// the tokenizer's hot path; they must agree with them on any input.
func TestMarksAgreeWithStrings(t *testing.T) {
	parts := []string{"", "a", "’", "'", ".", ",", "é", "\xe2", "\xe2\x80", "ab", "U.S", "12,000", "\xff"}
	rng := rand.New(rand.NewPCG(3, 3))
	for range 20_000 {
		var s string
		for range rng.IntN(6) {
			s += parts[rng.IntN(len(parts))]
		}
		if got, want := trimMarks(s), strings.Trim(s, "'’."); got != want {
			t.Fatalf("trimMarks(%q) = %q, want %q", s, got, want)
		}
		if got, want := hasMarks(s), strings.ContainsAny(s, ".,’"); got != want {
			t.Fatalf("hasMarks(%q) = %v, want %v", s, got, want)
		}
	}
}

// Which terms a lookup walks depends on the length of their lists, gone
// events included until a compaction: forgetting the same events in
// another order (an eviction walks a map) must leave the same lists.
func TestIndexForgetOrderDoesNotMatter(t *testing.T) {
	lengths := func(order []int) map[uint32]int {
		x := newIndex[*eventState]()
		evs := make([]*eventState, 10)
		for i := range evs {
			evs[i] = newEventState(strconv.Itoa(i))
			x.add(evs[i], []uint32{uint32(i % 3), 7})
		}
		live := len(evs)
		for _, i := range order {
			live--
			x.forget(evs[i], live)
		}
		x.lookup(sparse{{id: 7, w: 1}}, 100, 10, func(int64, int64) bool { return true })
		out := map[uint32]int{}
		for term, p := range x.postings {
			if len(p) > 0 {
				out[uint32(term)] = len(p)
			}
		}
		return out
	}
	a, b := lengths([]int{0, 1, 2, 3, 4, 5}), lengths([]int{5, 4, 3, 2, 1, 0})
	if !maps.Equal(a, b) {
		t.Errorf("posting lengths after forgetting the same events: %v in one order, %v in another", a, b)
	}
}
