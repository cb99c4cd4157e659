package events

import (
	"strings"
	"testing"
)

// The text features the deduplicator reads never panic and stay within
// the text: words in order at byte offsets inside it, each word's text
// found at its offsets, a capped split a prefix of the full one, entities
// named and distinct, a title's day a real month and day.
func FuzzTextFeatures(f *testing.F) {
	for _, s := range []string{
		"Boris Johnson's baby: U.S.-China talks on 12,000 troops — CNN's Jake Tapper",
		"TV Patrol Panay - April 27, 2020", "Unang Hirit (29th Apr)", "31 feb 2020 dec 0 jan 32nd",
		"NORTH KOREA FIRES MISSILE", "Pyongyang and the Bank of England; see www.x.com or a@b.c/d",
		"don't’s ’’ '' .. … ‘quoted’ «Кремль» 北朝鮮 ミサイル",
		"\xff\xfe bad \x00 bytes 4.8 No.10 U.F.O. e\u0301cole", "", " ", "'s", "A.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		words := splitWords(text)
		end := 0
		for i, w := range words {
			if w.start < end || w.end <= w.start || w.end > len(text) {
				t.Fatalf("word %d %q at [%d,%d) in a text of %d bytes, after a word ending at %d",
					i, w.raw, w.start, w.end, len(text), end)
			}
			if w.raw == "" || !strings.Contains(text[w.start:w.end], w.raw) {
				t.Fatalf("word %d %q is not the text at its offsets %q", i, w.raw, text[w.start:w.end])
			}
			end = w.end
		}
		// The buffer is reused as the clusterer reuses it: each call
		// starts with the previous call's words in it.
		capped := appendWords(nil, "earlier text in the buffer", 10)
		for _, n := range []int{0, 1, len(words) / 2} {
			capped = appendWords(capped, text, n)
			if len(capped) != min(n, len(words)) {
				t.Fatalf("appendWords(%d) gave %d words of %d", n, len(capped), len(words))
			}
			for i := range capped {
				if capped[i] != words[i] {
					t.Fatalf("appendWords(%d) word %d = %+v, want %+v", n, i, capped[i], words[i])
				}
			}
		}
		seen := map[string]bool{}
		for _, e := range findEntities(words) {
			if e.key == "" || e.name == "" || seen[e.key] {
				t.Fatalf("entity %+v is empty or repeated in %+v", e, findEntities(words))
			}
			seen[e.key] = true
		}
		if d := titleDay(words); d != 0 && (d/100 < 1 || d/100 > 12 || d%100 < 1 || d%100 > 31) {
			t.Fatalf("titleDay = %d, want month*100+day or 0", d)
		}
	})
}
