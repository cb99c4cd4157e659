package eval

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"herald/events"
)

// ReadRelatedPairs reads gold related-event pairs, one "event_a<TAB>event_b"
// per line (the .related.tsv beside a labeled set).
func ReadRelatedPairs(r io.Reader) ([][2]string, error) {
	var out [][2]string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		a, b, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("related pairs line %d: want two event ids separated by a tab", n)
		}
		out = append(out, [2]string{a, b})
	}
	return out, sc.Err()
}

// RelatedScore says how many gold related pairs the clusterer linked.
type RelatedScore struct {
	Pairs     int // gold pairs whose events both have docs in the stream
	Linked    int // pairs whose predicted events are related
	Merged    int // pairs whose two events were predicted as one
	Storyline int // pairs whose two events are in one storyline (merged ones included)
	Links     int // relations offered in all, over every predicted event
}

func (s RelatedScore) String() string {
	return fmt.Sprintf("related   %d of %d gold pairs linked (%d merged into one event); %d links offered in all\n"+
		"storyline %d of %d gold related pairs in one storyline (recall %.2f)",
		s.Linked, s.Pairs, s.Merged, s.Links, s.Storyline, s.Pairs, float64(s.Storyline)/float64(max(s.Pairs, 1)))
}

// ScoreRelated maps each gold event to the predicted event holding most of
// its docs, then checks each gold related pair against Related. pred is
// the prediction of c's stream (Predicted): its events are the ones c
// holds.
func ScoreRelated(c *events.Clusterer, gold, pred map[string]string, pairs [][2]string) RelatedScore {
	votes := map[string]map[string]int{} // gold event -> predicted event -> docs
	for doc, g := range gold {
		if votes[g] == nil {
			votes[g] = map[string]int{}
		}
		votes[g][pred[doc]]++
	}
	main := func(g string) string {
		v := votes[g]
		keys := slices.Sorted(maps.Keys(v))
		return slices.MaxFunc(keys, func(a, b string) int {
			return cmp.Or(cmp.Compare(v[a], v[b]), cmp.Compare(b, a))
		})
	}
	var s RelatedScore
	for _, id := range slices.Compact(slices.Sorted(maps.Values(pred))) {
		s.Links += len(c.Related(id))
	}
	for _, p := range pairs {
		if votes[p[0]] == nil || votes[p[1]] == nil {
			continue
		}
		s.Pairs++
		a, b := main(p[0]), main(p[1])
		sa, _ := c.StorylineOf(a)
		sb, _ := c.StorylineOf(b)
		if sa == sb {
			s.Storyline++
		}
		switch {
		case a == b:
			s.Merged++
		case relates(c, a, b) || relates(c, b, a):
			s.Linked++
		}
	}
	return s
}

func relates(c *events.Clusterer, from, to string) bool {
	return slices.ContainsFunc(c.Related(from), func(r events.Relation) bool { return r.EventID == to })
}
