package events

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
	"unicode"
)

// LexiconSource says what BuildLexicon learns from: news items (JSON
// Lines with title, summary and published, as in shared/data/news), of
// which those published in Skip are left out (the labeled windows, so that
// cross-validated figures are not helped by having seen the items they
// score), and word vectors (word → vector).
type LexiconSource struct {
	News    io.Reader
	Skip    []TimeRange
	Vectors map[string][]float32
}

// TimeRange is a half-open range of publication times.
type TimeRange struct{ From, To time.Time }

// Lexicon construction bounds: a word must be seen often enough to have a
// trustworthy vector and to matter, be written in lower case most of the
// time (names are matched exactly, never by likeness), and a neighbour
// must be close in meaning.
const (
	lexMinCount      = 10
	lexMaxCapShare   = 0.5
	lexNeighbours    = 5
	lexMinSimilarity = 0.6
)

// BuildLexicon reads the news once and writes two tables: to lex, for
// each common lower-case word (as a stem), the stems closest in meaning by
// the word vectors, as lines "stem<TAB>neighbour similarity<TAB>..."; to
// bg, in how many items each term (stem, or "@name") occurs, as lines
// "term<TAB>count" after "#items<TAB>N". It returns the number of words
// with neighbours.
func BuildLexicon(src LexiconSource, lex, bg io.Writer) (int, error) {
	stems, df, items, err := countStems(src.News, src.Skip)
	if err != nil {
		return 0, err
	}
	if err := writeBackground(bg, df, items); err != nil {
		return 0, err
	}
	keys, vecs := stemVectors(stems, src.Vectors)
	bw := bufio.NewWriter(lex)
	n := 0
	for i, key := range keys {
		nbrs := nearest(vecs, i)
		if len(nbrs) == 0 {
			continue
		}
		n++
		fmt.Fprint(bw, key)
		for _, nb := range nbrs {
			fmt.Fprintf(bw, "\t%s %.2f", keys[nb.i], nb.sim)
		}
		fmt.Fprintln(bw)
	}
	return n, bw.Flush()
}

// stemCount is what the news says of one stem: how often it is written,
// in which forms, and how often capitalised inside a sentence.
type stemCount struct {
	n, capital int
	forms      map[string]int
}

// countStems counts the words of the news: per stem, its forms and how
// it is written; per term (stem or "@name"), the items holding it.
func countStems(r io.Reader, skip []TimeRange) (map[string]*stemCount, map[string]int, int, error) {
	stems := map[string]*stemCount{}
	df := map[string]int{}
	items := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		var it struct {
			Title, Summary, Published string
		}
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, nil, 0, fmt.Errorf("news item: %w", err)
		}
		if t, err := time.Parse(time.RFC3339, it.Published); err == nil && inRanges(t, skip) {
			continue
		}
		items++
		words := splitWords(it.Title + ". " + it.Summary)
		for _, term := range itemTerms(words) {
			df[term]++
		}
		for _, w := range words {
			if isStop(w.lower) || !isLetters(w.lower) {
				continue
			}
			key := stem(w.lower, true)
			c := stems[key]
			if c == nil {
				c = &stemCount{forms: map[string]int{}}
				stems[key] = c
			}
			c.n++
			c.forms[w.lower]++
			if !w.sentStart && isCapitalised(w.raw) {
				c.capital++
			}
		}
	}
	return stems, df, items, sc.Err()
}

// itemTerms lists the distinct terms of an item as the clusterer makes
// them: stems of the words that are not stop words, and "@" + each name.
func itemTerms(words []word) []string {
	var out []string
	for _, w := range words {
		if !isStop(w.lower) {
			out = append(out, stem(w.lower, true))
		}
	}
	for _, e := range findEntities(words) {
		out = append(out, "@"+e.key)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// writeBackground writes the item counts of the terms seen in two items
// or more.
func writeBackground(w io.Writer, df map[string]int, items int) error {
	keys := make([]string, 0, len(df))
	for k, n := range df {
		if n >= 2 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "#items\t%d\n", items)
	for _, k := range keys {
		fmt.Fprintf(bw, "%s\t%d\n", k, df[k])
	}
	return bw.Flush()
}

func inRanges(t time.Time, rs []TimeRange) bool {
	return slices.ContainsFunc(rs, func(r TimeRange) bool { return !t.Before(r.From) && t.Before(r.To) })
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// stemVectors gives each common lower-case stem the count-weighted mean of
// its forms' vectors, normalised; stems are sorted.
func stemVectors(stems map[string]*stemCount, vectors map[string][]float32) ([]string, [][]float32) {
	var keys []string
	for key, c := range stems {
		if c.n >= lexMinCount && float64(c.capital) <= lexMaxCapShare*float64(c.n) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	var outKeys []string
	var vecs [][]float32
	for _, key := range keys {
		var sum []float32
		for form, n := range stems[key].forms {
			v := vectors[form]
			if v == nil {
				continue
			}
			if sum == nil {
				sum = make([]float32, len(v))
			}
			for i, x := range v {
				sum[i] += float32(n) * x
			}
		}
		if sum == nil {
			continue
		}
		var norm float64
		for _, x := range sum {
			norm += float64(x) * float64(x)
		}
		for i := range sum {
			sum[i] /= float32(math.Sqrt(norm))
		}
		outKeys = append(outKeys, key)
		vecs = append(vecs, sum)
	}
	return outKeys, vecs
}

type neighbourAt struct {
	i   int
	sim float32
}

// nearest lists the closest vectors to vecs[i], best first.
func nearest(vecs [][]float32, i int) []neighbourAt {
	var best []neighbourAt
	for j, v := range vecs {
		if j == i {
			continue
		}
		var s float32
		for k, x := range vecs[i] {
			s += x * v[k]
		}
		if s < lexMinSimilarity {
			continue
		}
		best = append(best, neighbourAt{j, s})
		slices.SortFunc(best, func(a, b neighbourAt) int { return cmp.Or(cmp.Compare(b.sim, a.sim), cmp.Compare(a.i, b.i)) })
		best = best[:min(len(best), lexNeighbours)]
	}
	return best
}
