package events

import (
	"math"
	"strconv"
	"testing"
)

// A lookup adds up the weight each event shares with the query, also
// when the lookup counter that marks the events met wraps around.
func TestIndexLookupAcrossCounterWrap(t *testing.T) {
	x := newIndex[*eventState]()
	evs := make([]*eventState, 3)
	for i := range evs {
		evs[i] = newEventState("ev" + strconv.Itoa(i))
	}
	x.add(evs[0], []uint32{1, 2})
	x.add(evs[1], []uint32{2})
	x.add(evs[2], []uint32{3})
	query := sparse{{id: 1, w: 5}, {id: 2, w: 4}, {id: 3, w: 6}}
	all := func(int64, int64) bool { return true }
	x.query = math.MaxUint32 - 1
	for range 3 { // the second lookup wraps the counter
		got := x.lookup(query, 10, 10, all)
		if len(got) != 3 || got[0] != evs[0] || got[1] != evs[2] || got[2] != evs[1] {
			t.Fatalf("lookup at counter %d: %v, want ev0 (9), ev2 (6), ev1 (4)", x.query, ids(got))
		}
	}
}

func ids(evs []*eventState) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.id
	}
	return out
}
