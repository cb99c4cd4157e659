package web

import (
	"context"
	"slices"

	"herald/events"
	"herald/rank"
)

// threadView is the events of one storyline in a list (a briefing, the
// front page): one heading over them when there are several, ranked once
// (package rank), and a pointer to the whole storyline when it has more
// events than the list shows.
type threadView struct {
	Storyline string      `json:"storyline,omitempty" xml:"storyline,attr,omitempty"` // the storyline's id
	Name      string      `json:"name,omitempty" xml:"name,omitempty"`
	URL       string      `json:"url,omitempty" xml:"url,omitempty"`                           // the storyline's page
	Total     int         `json:"storyline_events,omitempty" xml:"storyline_events,omitempty"` // events in the whole storyline
	Count     int         `json:"count" xml:"count"`                                           // its events in this list
	Sources   int         `json:"sources" xml:"sources"`                                       // their independent sources, summed
	Size      int         `json:"size" xml:"size"`                                             // their reports
	Events    []eventLine `json:"events" xml:"events>event"`                                   // its most reported, oldest first
	Rest      []eventLine `json:"rest,omitempty" xml:"rest>event,omitempty"`                   // the others of a briefing, oldest first
	More      int         `json:"more,omitempty" xml:"more,omitempty"`                         // those the list leaves to the storyline's page
}

// threads groups evs by storyline, ranks the groups, and shows every
// event under its storyline's name: a briefing. A thread of more than
// rank.ThreadEvents events shows its most reported first and the rest
// apart.
func (s *server) threads(ctx context.Context, base string, evs []events.Event) ([]threadView, error) {
	best := func(th rank.Thread) []events.Event { return th.Best(rank.ThreadEvents) }
	return s.threadViews(ctx, base, rank.Threads(evs), best, true)
}

// threadViews names each thread from its storyline's record and shows
// the events shown(th) returns of it, and the others in Rest when rest
// is true (else it counts them in More).
func (s *server) threadViews(ctx context.Context, base string, ths []rank.Thread, shown func(rank.Thread) []events.Event,
	rest bool) ([]threadView, error) {
	var ids []string
	for _, th := range ths {
		if th.Storyline != "" {
			ids = append(ids, th.Storyline)
		}
	}
	recs := map[string]events.Storyline{}
	if len(ids) > 0 {
		var err error
		if recs, err = s.st.Storylines(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]threadView, 0, len(ths))
	for _, th := range ths {
		out = append(out, newThreadView(base, th, recs[th.Storyline], shown(th), rest))
	}
	return out, nil
}

// newThreadView shows th: the events shown, then the others in Rest when
// rest is true (th then holds full events), else counted in More.
func newThreadView(base string, th rank.Thread, rec events.Storyline, shown []events.Event, rest bool) threadView {
	v := threadView{Storyline: th.Storyline, Count: len(th.Events)}
	for _, ev := range th.Events {
		v.Sources += rank.Independent(ev)
		v.Size += ev.Size
		switch {
		case slices.ContainsFunc(shown, func(s events.Event) bool { return s.ID == ev.ID }):
		case rest:
			v.Rest = append(v.Rest, newEventLine(base, ev))
		default:
			v.More++
		}
	}
	for _, ev := range shown {
		v.Events = append(v.Events, newEventLine(base, ev))
	}
	if th.Storyline != "" {
		v.Name = storylineName(rec, shown)
		v.URL = base + storylinePath(th.Storyline, "html")
		v.Total = max(len(rec.Events), len(th.Events))
	}
	return v
}

// storylineName is the name a storyline is shown by: the deduplicator's
// (its most telling names), else the headline of the most reported of
// evs.
func storylineName(rec events.Storyline, evs []events.Event) string {
	if rec.Name != "" || len(evs) == 0 {
		return rec.Name
	}
	best := evs[0]
	for _, ev := range evs[1:] {
		if rank.Compare(rank.Of(ev), rank.Of(best)) < 0 {
			best = ev
		}
	}
	return best.Headline
}
