package events

import (
	"maps"
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

// ScoreRelated finds the Korea fixture's three related pairs, and reports
// a pair whose two events were merged as merged, not linked.
func TestScoreRelated(t *testing.T) {
	docs := readFixture(t, "korea.jsonl")
	as, c := StreamClusterer(docs, DefaultOptions())
	gold, pred := Gold(docs), Predicted(as)
	events := slices.Sorted(maps.Values(gold))
	events = slices.Compact(events)
	if len(events) != 3 {
		t.Fatalf("fixture has %d events, want 3", len(events))
	}
	pairs := [][2]string{{events[0], events[1]}, {events[1], events[2]}, {events[0], events[2]}, {events[0], "not-in-set"}}
	got := ScoreRelated(c, gold, pred, pairs)
	if got.Pairs != 3 || got.Linked != 3 || got.Merged != 0 {
		t.Errorf("korea: %+v, want 3 of 3 pairs linked", got)
	}
	// Predict the first two events as one: their pair is merged, not linked.
	for id, ev := range gold {
		if ev == events[1] {
			pred[id] = pred[firstDocOf(gold, events[0])]
		}
	}
	if got := ScoreRelated(c, gold, pred, pairs[:1]); got.Merged != 1 || got.Linked != 0 {
		t.Errorf("merged pair: %+v, want 1 merged", got)
	}
}

func firstDocOf(gold map[string]string, event string) string {
	for _, id := range slices.Sorted(maps.Keys(gold)) {
		if gold[id] == event {
			return id
		}
	}
	return ""
}
