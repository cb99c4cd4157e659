package events

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// entity is a named thing a text mentions: a person, a place, a body.
type entity struct {
	key  string // lower-cased, the unit of comparison ("north korea")
	name string // as a reader expects it ("North Korea")
}

// findEntities lists the entities of one text (a title or a summary):
// runs of capitalised words, and the countries the gazetteer knows under
// any of their names. Capitals mean nothing in text written all in one
// case or in Title Case, so such text yields gazetteer entities only.
func findEntities(words []word) []entity {
	cased := hasCase(words)
	var out []entity
	for _, c := range countries.match(words, cased) {
		out = append(out, entity{key: strings.ToLower(c), name: c})
	}
	if cased && !titleCased(words) {
		for _, e := range capitalisedPhrases(words) {
			// "Pyongyang" or "North Korean" is already its country.
			if !countries.isAlias(e.key) {
				out = append(out, e)
			}
		}
	}
	return dedupEntities(out)
}

// capitalisedPhrases finds maximal runs of capitalised words, allowing a
// few lower-case particles inside ("Bank of England", "Rodrigo de Villa").
// A lone capitalised word opening a sentence is skipped: its capital is
// grammar, not a name.
func capitalisedPhrases(words []word) []entity {
	var out []entity
	for i := 0; i < len(words); {
		if !isNameWord(words[i].raw) {
			i++
			continue
		}
		j := i + 1
		for j < len(words) && !words[j].breakTo && !words[j].sentStart && !words[j-1].possessive {
			if isNameWord(words[j].raw) {
				j++
			} else if isParticle(words[j].lower) && j+1 < len(words) && isNameWord(words[j+1].raw) && !words[j+1].breakTo {
				j += 2
			} else {
				break
			}
		}
		if e, ok := phrase(words[i:j]); ok && (j-i > 1 || !words[i].sentStart || isAcronym(words[i].raw)) {
			out = append(out, e)
		}
		i = j
	}
	return out
}

// phrase trims stop words off both ends of a run and names what is left.
func phrase(run []word) (entity, bool) {
	for len(run) > 0 && notName(run[0].lower) {
		run = run[1:]
	}
	for len(run) > 0 && notName(run[len(run)-1].lower) {
		run = run[:len(run)-1]
	}
	if len(run) == 0 || len(run) > 5 {
		return entity{}, false
	}
	keys := make([]string, len(run))
	names := make([]string, len(run))
	for i, w := range run {
		keys[i], names[i] = w.lower, w.raw
	}
	return entity{key: strings.Join(keys, " "), name: strings.Join(names, " ")}, true
}

// isNameWord: starts with a capital and is not shouted. Headline writers
// put whole words in capitals for emphasis ("DELAYS", "ARREST"); a long
// all-capitals word is emphasis, a short one an acronym (NHS, FDA).
func isNameWord(raw string) bool {
	if !isCapitalised(raw) {
		return false
	}
	return utf8.RuneCountInString(raw) <= 4 || !allUpper(raw)
}

// allUpper reports whether raw has no lower-case letter.
func allUpper(raw string) bool {
	for _, r := range raw {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// isAcronym: two to four capitals ("CNN", "NHS"); a name even at the start
// of a sentence.
func isAcronym(raw string) bool {
	n := utf8.RuneCountInString(raw)
	return n >= 2 && n <= 4 && isCapitalised(raw) && allUpper(raw)
}

func isCapitalised(raw string) bool {
	r, _ := utf8.DecodeRuneInString(raw)
	return unicode.IsUpper(r)
}

// notName: words that are capitalised without naming anything.
func notName(lower string) bool { return isStop(lower) }

var calendar = setOf("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"january", "february", "march", "april", "june", "july", "august", "september",
	"october", "november", "december", "today", "yesterday", "tomorrow", "tonight")

func isParticle(lower string) bool {
	switch lower {
	case "of", "de", "del", "della", "da", "van", "von", "bin", "al", "la", "le", "du", "dos":
		return true
	}
	return false
}

// hasCase reports whether the text uses both cases; text in one case
// (pre-processed corpora, shouting) carries no capitalisation signal.
func hasCase(words []word) bool {
	upper, lower := false, false
	for _, w := range words {
		for _, r := range w.raw {
			upper = upper || unicode.IsUpper(r)
			lower = lower || unicode.IsLower(r)
		}
		if upper && lower {
			return true
		}
	}
	return false
}

// titleCased reports text where nearly every content word is capitalised
// ("Chinese Weak Trading Data Paused World Stocks"): there the capitals
// are style, and cannot pick names out.
func titleCased(words []word) bool {
	content, capital := 0, 0
	for _, w := range words {
		if len(w.lower) < 4 || isStop(w.lower) || !unicode.IsLetter(rune(w.lower[0])) {
			continue
		}
		content++
		if isCapitalised(w.raw) {
			capital++
		}
	}
	return content >= 3 && capital*4 >= content*3
}

func dedupEntities(es []entity) []entity {
	seen := make(map[string]bool, len(es))
	out := es[:0]
	for _, e := range es {
		if !seen[e.key] {
			seen[e.key] = true
			out = append(out, e)
		}
	}
	return out
}
