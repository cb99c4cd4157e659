package web

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"herald/events"
)

// contextNames are the names an event page shows as its context: the
// deduplicator's names less those that say nothing about the happening.
// Dropped are a publisher's name or part of it ("CNN" of "CNN
// International": sources name themselves in titles), a name that is part
// of a longer name in the list ("North" of "North Korea", "Kim Jong" of
// "Kim Jong Un"), and a name that the reports' titles only ever write as
// the start of a hyphenated one ("Kim Jong" of "Kim Jong-un"). Order is
// kept.
func contextNames(names []string, sources []events.Source) []string {
	var publishers [][]string
	var titles []string
	for _, s := range sources {
		if w := nameWords(s.Publisher); len(w) > 0 {
			publishers = append(publishers, w)
		}
		titles = append(titles, s.Title)
	}
	lists := make([][]string, len(names))
	for i, n := range names {
		lists[i] = nameWords(n)
	}
	out := []string{}
	for i, n := range names {
		w := lists[i]
		switch {
		case len(w) == 0, partOfAny(w, publishers), partOfLonger(w, lists), hyphenatedOnly(n, titles):
			continue
		}
		out = append(out, n)
	}
	return out
}

// nameWords splits a name into lower-case words (letters and digits).
func nameWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// partOfAny reports whether w is a run of consecutive words of one of
// the lists (or the whole of it).
func partOfAny(w []string, lists [][]string) bool {
	return slices.ContainsFunc(lists, func(l []string) bool { return isRun(w, l) })
}

// partOfLonger reports whether w is a run of a longer name in lists.
func partOfLonger(w []string, lists [][]string) bool {
	return slices.ContainsFunc(lists, func(l []string) bool { return len(l) > len(w) && isRun(w, l) })
}

func isRun(w, l []string) bool {
	for i := 0; i+len(w) <= len(l); i++ {
		if slices.Equal(w, l[i:i+len(w)]) {
			return true
		}
	}
	return false
}

// hyphenatedOnly reports whether name occurs in the titles, and each
// time as the start of a hyphenated word ("Kim Jong" in "Kim Jong-un").
func hyphenatedOnly(name string, titles []string) bool {
	seen := false
	for _, t := range titles {
		for rest := t; ; {
			i := strings.Index(rest, name)
			if i < 0 {
				break
			}
			after := rest[i+len(name):]
			if i > 0 {
				if r, _ := utf8.DecodeLastRuneInString(rest[:i]); unicode.IsLetter(r) {
					rest = after // inside another word
					continue
				}
			}
			if next, _ := utf8.DecodeRuneInString(after); unicode.IsLetter(next) || unicode.IsDigit(next) {
				rest = after // a longer word
				continue
			}
			if !strings.HasPrefix(after, "-") {
				return false
			}
			next, _ := utf8.DecodeRuneInString(after[1:])
			if !unicode.IsLetter(next) {
				return false
			}
			seen = true
			rest = after
		}
	}
	return seen
}
