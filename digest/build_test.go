package digest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"herald/events"
	"herald/rank"
)

func ids(d Digest) []string {
	var out []string
	for _, e := range d.Entries() {
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
	d := Build(Subscriber{Email: "a@x.example", Topics: []string{"world"}}, testPeriod(), Input{Candidates: cands}, Options{})
	assertIDs(t, ids(d), "b", "c", "a", "d")
	if d.Entries()[3].Sources != 1 {
		t.Fatalf("independent sources of d = %d, want 1", d.Entries()[3].Sources)
	}
	capped := Build(Subscriber{Email: "a@x.example"}, testPeriod(), Input{Candidates: cands}, Options{MaxEvents: 2})
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
	d := Build(Subscriber{Email: "a@x.example"}, testPeriod(), Input{Candidates: cands, Sent: sent}, Options{})
	assertIDs(t, ids(d), "grew(update)", "new")
	if d.Entries()[0].Was != 2 {
		t.Fatalf("update remembers %d sources, want 2", d.Entries()[0].Was)
	}
	if d := Build(Subscriber{Email: "a@x.example"}, testPeriod(), Input{Candidates: cands[1:3], Sent: sent}, Options{}); !d.Empty() {
		t.Fatalf("small growth made a digest: %v", ids(d))
	}
}

// A storyline's events are one thread under its name, ranked once by
// what they add up to, oldest first; a storyline mailed before keeps the
// heading it was mailed under and says how much came before; a thread
// that does not fit keeps its most reported events.
func TestBuildGroupsByStoryline(t *testing.T) {
	floyd := []events.Event{
		event("floyd-troops", "Trump threatens troops", 3, 0, time.Hour, "world"),
		event("floyd-protests", "Protests spread", 2, 0, 20*time.Hour, "world"),
		event("floyd-autopsy", "Second autopsy", 1, 0, 2*time.Hour, "world"),
	}
	for i := range floyd {
		floyd[i].Storyline = "sl-floyd"
	}
	kim := event("kim", "Kim reappears", 5, 0, 0, "world")
	kim.Storyline = "sl-kim"
	in := Input{Candidates: append(slices.Clone(floyd), kim),
		Storylines: map[string]events.Storyline{"sl-floyd": {ID: "sl-floyd", Name: "George Floyd · protests"}}}
	d := Build(Subscriber{}, testPeriod(), in, Options{})
	if len(d.Threads) != 2 {
		t.Fatalf("%d threads, want 2", len(d.Threads))
	}
	f, k := d.Threads[0], d.Threads[1]
	assertIDs(t, ids(Digest{Threads: []Thread{f}}), "floyd-protests", "floyd-autopsy", "floyd-troops")
	if f.Storyline != "sl-floyd" || f.Name != "George Floyd · protests" || f.Sources != 6 || f.Earlier != 0 {
		t.Errorf("Floyd thread: %+v", f)
	}
	if k.Name != "Kim reappears" || len(k.Entries) != 1 {
		t.Errorf("a storyline without a name is headed by its event: %+v", k)
	}

	// The Floyd storyline was mailed before, under another name.
	in.Mailed = map[string]Mailed{"sl-floyd": {Events: 4, Heading: "George Floyd · Minneapolis"}}
	if f := Build(Subscriber{}, testPeriod(), in, Options{}).Threads[0]; f.Name != "George Floyd · Minneapolis" || f.Earlier != 4 {
		t.Errorf("a storyline mailed before: %+v", f)
	}
	capped := Build(Subscriber{}, testPeriod(), in, Options{MaxEvents: 2})
	assertIDs(t, ids(capped), "floyd-protests", "floyd-troops")
	if capped.Threads[0].More != 1 {
		t.Errorf("the thread cut to fit counts %d left out, want 1", capped.Threads[0].More)
	}

	// A storyline of many events lists its five most reported.
	for i := range 6 {
		ev := event(fmt.Sprint("floyd-more-", i), "More", 1, 0, time.Duration(3+i)*time.Hour, "world")
		ev.Storyline = "sl-floyd"
		in.Candidates = append(in.Candidates, ev)
	}
	d = Build(Subscriber{}, testPeriod(), in, Options{})
	if f := d.Threads[0]; len(f.Entries) != rank.ThreadEvents || f.More != 4 || f.Entries[0].Event.ID != "floyd-protests" {
		t.Errorf("a storyline of 9 events lists %d, counts %d more: %v", len(f.Entries), f.More, ids(Digest{Threads: []Thread{f}}))
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

// Capping at MaxEvents keeps the head of the full ranking.
func TestBuildTopMatchesFullRanking(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var cands []events.Event
	for i := range 300 {
		cands = append(cands, event(fmt.Sprintf("ev-%03d", i), "x", 1+rng.IntN(6), 0, time.Duration(rng.IntN(5))*time.Hour, "world"))
	}
	full := Build(Subscriber{}, testPeriod(), Input{Candidates: cands}, Options{MaxEvents: 1000})
	top := Build(Subscriber{}, testPeriod(), Input{Candidates: cands}, Options{MaxEvents: 17})
	if len(full.Entries()) != 300 || len(top.Entries()) != 17 {
		t.Fatalf("%d and %d entries", len(full.Entries()), len(top.Entries()))
	}
	assertIDs(t, ids(top), ids(full)[:17]...)
	for i := 1; i < len(full.Entries()); i++ {
		a, b := full.Entries()[i-1], full.Entries()[i]
		if a.Sources < b.Sources || (a.Sources == b.Sources && a.Event.LastUpdated.Before(b.Event.LastUpdated)) {
			t.Fatalf("entries %d and %d out of order: %+v %+v", i-1, i, a, b)
		}
	}
}
