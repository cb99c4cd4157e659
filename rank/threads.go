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
			out = append(out, Group{Storyline: ev.Storyline, Weight: Weight{ID: cmp.Or(ev.Storyline, ev.ID)}})
			count = append(count, 0)
		}
		of[k] = g
		count[g]++
		w := &out[g].Weight
		w.Publishers += Independent(*ev)
		w.Reports += ev.Size
		w.Updated = later(w.Updated, ev.LastUpdated)
	}
	members := make([]int, 0, len(pick)) // one array for every group's members
	for g := range out {
		out[g].Members = members[len(members) : len(members) : len(members)+count[g]]
		members = members[:len(members)+count[g]]
	}
	for k, i := range pick {
		out[of[k]].Members = append(out[of[k]].Members, i)
	}
	out = best(out, limit)
	for _, g := range out {
		slices.SortStableFunc(g.Members, func(a, b int) int {
			return cmp.Or(evs[a].FirstSeen.Compare(evs[b].FirstSeen), cmp.Compare(evs[a].ID, evs[b].ID))
		})
	}
	return out
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

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
