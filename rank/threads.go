package rank

import (
	"cmp"
	"slices"
	"time"

	"herald/events"
)

// Thread is the events of one storyline among those a page or a digest
// shows: one heading, ranked once.
type Thread struct {
	Storyline string         // the storyline's id; "" for an event without one, a thread of its own
	Events    []events.Event // oldest first: a thread reads in the order it happened
	// Weight sums its events' independent sources and reports and takes
	// their latest update; its ID is the storyline's (the event's when
	// there is no storyline).
	Weight Weight
}

// Threads groups evs by storyline and ranks the groups by their weights:
// a storyline with several events is one thread, ranked once by what its
// events add up to.
func Threads(evs []events.Event) []Thread {
	var out []Thread
	at := map[string]int{}
	for _, ev := range evs {
		key := ev.Storyline
		if key == "" {
			key = "event:" + ev.ID
		}
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, Thread{Storyline: ev.Storyline, Weight: Weight{ID: cmp.Or(ev.Storyline, ev.ID)}})
		}
		t := &out[i]
		t.Events = append(t.Events, ev)
		w := Of(ev)
		t.Weight.Publishers += w.Publishers
		t.Weight.Reports += w.Reports
		t.Weight.Updated = later(t.Weight.Updated, w.Updated)
	}
	for i := range out {
		slices.SortStableFunc(out[i].Events, byTime)
	}
	slices.SortStableFunc(out, func(a, b Thread) int { return Compare(a.Weight, b.Weight) })
	return out
}

// byTime orders events oldest first, then by id.
func byTime(a, b events.Event) int {
	return cmp.Or(a.FirstSeen.Compare(b.FirstSeen), cmp.Compare(a.ID, b.ID))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
