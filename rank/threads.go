package rank

import (
	"cmp"
	"slices"
	"time"

	"herald/events"
)

// ThreadEvents is how many of a thread's events count toward its weight,
// and how many a short list (the front page, a digest) shows under its
// heading: its most reported. A storyline that runs to hundreds of small
// events a day (a pandemic's coverage) does not bury the day's other
// stories by its count alone.
const ThreadEvents = 5

// Thread is the events of one storyline among those a page or a digest
// shows: one heading, ranked once.
type Thread struct {
	Storyline string         // the storyline's id; "" for an event without one, a thread of its own
	Events    []events.Event // oldest first: a thread reads in the order it happened
	// Weight sums the independent sources and reports of its ThreadEvents
	// most reported events and takes their latest update; its ID is the
	// storyline's (the event's when there is no storyline).
	Weight Weight
}

// Threads groups evs by storyline and ranks the groups by their weights:
// a storyline with several events is one thread, ranked once by what its
// most reported events add up to.
func Threads(evs []events.Event) []Thread {
	all := make([]int, len(evs))
	for i := range all {
		all[i] = i
	}
	gs := Groups(evs, all, 0)
	out := make([]Thread, len(gs))
	for i, g := range gs {
		out[i] = Thread{Storyline: g.Storyline, Weight: g.Weight, Events: make([]events.Event, len(g.Members))}
		for j, m := range g.Members {
			out[i].Events[j] = evs[m]
		}
	}
	return out
}

// Best returns the thread's n most reported events, oldest first.
func (t Thread) Best(n int) []events.Event {
	if len(t.Events) <= n {
		return t.Events
	}
	best := slices.Clone(t.Events)
	Events(best)
	best = best[:n]
	slices.SortFunc(best, byTime)
	return best
}

// Group is a thread by the indices of its events: what Threads builds
// on, for callers that rank many events and show few (a digest).
type Group struct {
	Storyline string
	Members   []int // indices into the events grouped, oldest first
	Weight    Weight
}

// Groups groups the events of evs at the indices pick by storyline,
// ranked like Threads, and returns the best limit groups (all when limit
// is 0).
func Groups(evs []events.Event, pick []int, limit int) []Group {
	out := make([]Group, 0, len(pick))
	of := make([]int, len(pick))               // the group of each pick
	type key struct{ storyline, event string } // an event without a storyline is a group of its own
	at := make(map[key]int, len(pick))
	count := make([]int, 0, len(pick))
	for k, i := range pick {
		ev := &evs[i]
		key := key{storyline: ev.Storyline}
		if ev.Storyline == "" {
			key.event = ev.ID
		}
		g, ok := at[key]
		if !ok {
			g = len(out)
			at[key] = g
			out = append(out, Group{Storyline: ev.Storyline})
			count = append(count, 0)
		}
		of[k] = g
		count[g]++
	}
	members := make([]int, 0, len(pick)) // one array for every group's members
	for g := range out {
		out[g].Members = members[len(members) : len(members) : len(members)+count[g]]
		members = members[:len(members)+count[g]]
	}
	for k, i := range pick {
		out[of[k]].Members = append(out[of[k]].Members, i)
	}
	for g := range out {
		out[g].Weight = weigh(evs, out[g].Members)
	}
	out = best(out, limit)
	for _, g := range out {
		slices.SortStableFunc(g.Members, func(a, b int) int { return byTime(evs[a], evs[b]) })
	}
	return out
}

// weigh is the weight of a group of events: what its ThreadEvents most
// reported events add up to, under the storyline's id.
func weigh(evs []events.Event, members []int) Weight {
	first := evs[members[0]]
	if len(members) == 1 {
		return Of(first)
	}
	ws := make([]Weight, len(members))
	for j, m := range members {
		ws[j] = Of(evs[m])
	}
	slices.SortFunc(ws, Compare)
	w := Weight{ID: cmp.Or(first.Storyline, first.ID)}
	for _, x := range ws[:min(len(ws), ThreadEvents)] {
		w.Publishers += x.Publishers
		w.Reports += x.Reports
		w.Updated = later(w.Updated, x.Updated)
	}
	return w
}

// best returns the limit best groups of gs in rank order (all when limit
// is 0), without sorting the rest: a digest shows 25 of thousands.
func best(gs []Group, limit int) []Group {
	byRank := func(a, b Group) int { return Compare(a.Weight, b.Weight) } // weights differ at least by their ids
	if limit <= 0 || limit >= len(gs) {
		slices.SortFunc(gs, byRank)
		return gs
	}
	top := make([]Group, 0, limit+1)
	for _, g := range gs {
		if len(top) == limit && byRank(g, top[limit-1]) > 0 {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, g, byRank)
		top = slices.Insert(top, at, g)
		if len(top) > limit {
			top = top[:limit]
		}
	}
	return top
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
