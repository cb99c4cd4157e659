package digest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"herald/events"
)

func ids(d Digest) []string {
	var out []string
	for _, e := range d.Entries {
		id := e.Event.ID
		if e.Update {
			id += "(update)"
		}
		out = append(out, id)
	}
	return out
}

func TestBuildRanksBySourcesThenRecency(t *testing.T) {
	cands := []events.Event{
		event("a", "Two sources, old", 2, 0, 5*time.Hour, "world"),
		event("b", "Five sources", 5, 0, 9*time.Hour, "world"),
		event("c", "Two sources, recent", 2, 0, time.Hour, "world"),
		event("d", "One source and three copies", 1, 3, 0, "world"), // copies do not count
		event("e", "Other topic", 9, 0, 0, "sport"),
	}
	d := Build(Subscriber{Email: "a@x.example", Topics: []string{"world"}}, testPeriod(), cands, nil, Options{})
	assertIDs(t, ids(d), "b", "c", "a", "d")
	if d.Entries[3].Sources != 1 {
		t.Fatalf("independent sources of d = %d, want 1", d.Entries[3].Sources)
	}
	capped := Build(Subscriber{Email: "a@x.example"}, testPeriod(), cands, nil, Options{MaxEvents: 2})
	assertIDs(t, ids(capped), "e", "b")
}

// An event already sent comes back only when it grew a lot, as an update.
func TestBuildUpdatesOnlyWhenGrownALot(t *testing.T) {
	cands := []events.Event{
		event("grew", "Grew from 2 to 4", 4, 0, 0, "world"),
		event("little", "Grew from 3 to 4", 4, 0, time.Hour, "world"),
		event("one", "Grew from 1 to 2", 2, 0, time.Hour, "world"),
		event("new", "New", 1, 0, time.Hour, "world"),
	}
	sent := map[string]int{"grew": 2, "little": 3, "one": 1}
	d := Build(Subscriber{Email: "a@x.example"}, testPeriod(), cands, sent, Options{})
	assertIDs(t, ids(d), "grew(update)", "new")
	if d.Entries[0].Was != 2 {
		t.Fatalf("update remembers %d sources, want 2", d.Entries[0].Was)
	}
	if d := Build(Subscriber{Email: "a@x.example"}, testPeriod(), cands[1:3], sent, Options{}); !d.Empty() {
		t.Fatalf("small growth made a digest: %v", ids(d))
	}
}

func TestIndependentSources(t *testing.T) {
	ev := events.Event{Sources: []events.Source{
		{Publisher: "BBC News", URL: "https://bbc.example/1"},
		{Publisher: "bbc news ", URL: "https://bbc.example/2"}, // same publisher
		{URL: "https://www.npr.example/x"},
		{URL: "https://npr.example/y"}, // same host
		{Publisher: "Wire copy", Duplicate: true},
	}}
	if n := Independent(ev); n != 2 {
		t.Fatalf("independent sources = %d, want 2", n)
	}
}

func assertIDs(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
}

// Keeping only the best MaxEvents while scanning gives the same digest as
// ranking every candidate and cutting the list.
func TestBuildTopMatchesFullRanking(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var cands []events.Event
	for i := range 300 {
		cands = append(cands, event(fmt.Sprintf("ev-%03d", i), "x", 1+rng.IntN(6), 0, time.Duration(rng.IntN(5))*time.Hour, "world"))
	}
	full := Build(Subscriber{}, testPeriod(), cands, nil, Options{MaxEvents: 1000})
	top := Build(Subscriber{}, testPeriod(), cands, nil, Options{MaxEvents: 17})
	if len(full.Entries) != 300 || len(top.Entries) != 17 {
		t.Fatalf("%d and %d entries", len(full.Entries), len(top.Entries))
	}
	assertIDs(t, ids(top), ids(full)[:17]...)
	for i := 1; i < len(full.Entries); i++ {
		a, b := full.Entries[i-1], full.Entries[i]
		if a.Sources < b.Sources || (a.Sources == b.Sources && a.Event.LastUpdated.Before(b.Event.LastUpdated)) {
			t.Fatalf("entries %d and %d out of order: %+v %+v", i-1, i, a, b)
		}
	}
}
