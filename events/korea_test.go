package events

import (
	"slices"
	"testing"
)

// The three Korea stories of DESIGN.md share actors and a topic but are
// three happenings: each must gather its two publishers' reports, stay
// apart from the others, and be linked to them as related.
func TestKoreaTalksAreThreeRelatedEvents(t *testing.T) {
	docs := readFixture(t, "korea.jsonl")
	c := New(DefaultOptions())
	var as []Assignment
	for _, d := range docs {
		as = append(as, c.Add(d.Doc))
	}
	got, want := partition(as), goldPartition(docs)
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for _, a := range as {
		rels := c.Related(a.EventID)
		if len(rels) != 2 {
			t.Fatalf("event of %s: %d related events, want the other 2: %+v", a.DocID, len(rels), rels)
		}
		for _, r := range rels {
			for _, name := range []string{"Korean War", "North Korea", "United States"} {
				if !slices.Contains(r.Shared, name) {
					t.Errorf("relation %s -> %s shares %v, want %q among them", a.EventID, r.EventID, r.Shared, name)
				}
			}
		}
	}
}
