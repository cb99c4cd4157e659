package web

import (
	"net/http"
	"time"

	"herald/events"
	"herald/rank"
)

// frontPageLines bounds each day's list on the front page; the day's
// briefing has them all.
const frontPageLines = 25

// frontPage is / : the last three UTC days, today first, each with its
// most reported storylines and events.
func (s *server) frontPage(w http.ResponseWriter, r *http.Request) {
	today := day(s.opt.Now())
	var days []briefingView
	var changed time.Time
	for i := range 3 {
		v, err := s.frontDay(r, today.AddDate(0, 0, -i))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		changed = later(changed, v.lastChange)
		days = append(days, v)
	}
	p := page{Title: "The last three days", Body: struct{ Days []briefingView }{days}, Alternates: feedAlternates("/all")}
	s.render(w, r, "html", "front", p, changed)
}

// frontDay is day d on the front page: its leading threads, each with its
// most reported events. It ranks the day on the events' weights and reads
// in full only the events it shows.
func (s *server) frontDay(r *http.Request, d time.Time) (briefingView, error) {
	weights, err := s.st.EventWeights(r.Context(), events.Query{FirstSeenAfter: d, FirstSeenBefore: d.AddDate(0, 0, 1)})
	if err != nil {
		return briefingView{}, err
	}
	ths := leading(rank.Threads(weights), frontPageLines)
	var ids []string
	for _, th := range ths {
		for _, ev := range th.Best(rank.ThreadEvents) {
			ids = append(ids, ev.ID)
		}
	}
	full := map[string]events.Event{}
	if len(ids) > 0 {
		evs, err := s.st.Events(r.Context(), events.Query{IDs: ids})
		if err != nil {
			return briefingView{}, err
		}
		for _, ev := range evs {
			full[ev.ID] = ev
		}
	}
	v := s.dayView(r, Topic{}, d, weights)
	v.More = len(weights) - len(ids)
	v.Threads, err = s.threadViews(r.Context(), s.base(r), ths, func(th rank.Thread) []events.Event {
		var shown []events.Event
		for _, ev := range th.Best(rank.ThreadEvents) {
			shown = append(shown, full[ev.ID])
		}
		return shown
	}, false)
	return v, err
}

// leading keeps the leading threads until they show at least n events,
// each showing at most rank.ThreadEvents: the front page's share of a
// day.
func leading(ths []rank.Thread, n int) []rank.Thread {
	shown := 0
	for i, th := range ths {
		if shown >= n {
			return ths[:i]
		}
		shown += min(len(th.Events), rank.ThreadEvents)
	}
	return ths
}
