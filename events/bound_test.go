package events

import (
	"testing"
)

// EvictToHold keeps at most the docs it is told, and they are those of
// the events updated last: every event it evicted was updated no later
// than every event it kept.
func TestEvictToHold(t *testing.T) {
	g := newGenerator(11)
	c := New(DefaultOptions())
	for range 3000 {
		c.Add(g.next())
	}
	held := c.Held()
	before := map[string]*eventState{}
	for id, ev := range c.events {
		before[id] = ev
	}
	c.EvictToHold(held) // nothing to do
	if c.Held() != held {
		t.Fatalf("a bound above what is held evicted %d docs", held-c.Held())
	}
	c.EvictToHold(held / 3)
	if c.Held() > held/3 || c.Held() == 0 {
		t.Fatalf("held %d docs of %d, want at most %d and some", c.Held(), held, held/3)
	}
	n := 0
	for _, ev := range c.events {
		n += len(ev.members)
		for id, gone := range before {
			if c.events[id] == nil && gone.last().After(ev.last()) {
				t.Fatalf("evicted event %s (updated %v) is newer than kept event %s (updated %v)", id, gone.last(), ev.id, ev.last())
			}
		}
	}
	if n != c.Held() {
		t.Fatalf("live events hold %d docs, the clusterer %d", n, c.Held())
	}
	for range 500 { // it goes on placing
		c.Add(g.next())
	}
}
