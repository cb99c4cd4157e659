package web

import (
	"context"

	"herald/events"
	"herald/rank"
)

// threadView is the events of one storyline in a list (a briefing, the
// front page): one heading over them when there are several, ranked once
// by what they add up to (package rank), and a pointer to the whole
// storyline when it has more events than the list shows.
type threadView struct {
	Storyline string      `json:"storyline,omitempty" xml:"storyline,attr,omitempty"` // the storyline's id
	Name      string      `json:"name,omitempty" xml:"name,omitempty"`
	URL       string      `json:"url,omitempty" xml:"url,omitempty"`                           // the storyline's page
	Total     int         `json:"storyline_events,omitempty" xml:"storyline_events,omitempty"` // events in the whole storyline
	Sources   int         `json:"sources" xml:"sources"`                                       // the events' independent sources, summed
	Size      int         `json:"size" xml:"size"`                                             // their reports
	Events    []eventLine `json:"events" xml:"events>event"`                                   // oldest first
}

// threads groups evs by storyline, ranks the groups, and names each from
// its storyline's record.
func (s *server) threads(ctx context.Context, base string, evs []events.Event) ([]threadView, error) {
	ths := rank.Threads(evs)
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
		out = append(out, newThreadView(base, th, recs[th.Storyline]))
	}
	return out, nil
}

func newThreadView(base string, th rank.Thread, rec events.Storyline) threadView {
	v := threadView{Storyline: th.Storyline, Sources: th.Weight.Publishers, Size: th.Weight.Reports}
	for _, ev := range th.Events {
		v.Events = append(v.Events, newEventLine(base, ev))
	}
	if th.Storyline != "" {
		v.Name = storylineName(rec, th.Events)
		v.URL = base + storylinePath(th.Storyline, "html")
		v.Total = max(len(rec.Events), len(th.Events))
	}
	return v
}

// storylineName is the name a storyline is shown by: the deduplicator's
// (its most telling names), else the headline of its most reported event.
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

// firstLines returns the ids of the events of the leading threads, until
// they hold at least n (the thread that reaches n is kept whole): the
// front page's share of a day.
func firstLines(ths []rank.Thread, n int) []string {
	var ids []string
	for _, th := range ths {
		if len(ids) >= n {
			break
		}
		for _, ev := range th.Events {
			ids = append(ids, ev.ID)
		}
	}
	return ids
}
