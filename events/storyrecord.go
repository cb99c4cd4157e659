package events

import (
	"slices"
	"strings"
	"time"
)

// Storyline is the record of a thread of related events, as readers see it.
type Storyline struct {
	ID          string
	Name        string // its most telling names, e.g. "George Floyd, Minneapolis"
	FirstSeen   time.Time
	LastUpdated time.Time
	Events      []string // the ids of its held events, oldest first
	Size        int      // reports in those events
	Entities    []string // the names its events share, most mentioned first
}

// Storyline returns the record of a storyline held in memory. The id of
// a storyline merged into another one gives the record of the latter.
func (c *Clusterer) Storyline(id string) (Storyline, bool) {
	st := c.lookupStory(id)
	if st == nil {
		return Storyline{}, false
	}
	evs := slices.Clone(st.events)
	slices.SortFunc(evs, func(a, b *eventState) int {
		if d := a.first().Compare(b.first()); d != 0 {
			return d
		}
		return strings.Compare(a.id, b.id)
	})
	out := Storyline{ID: st.id, FirstSeen: time.UnixMilli(st.firstMS).UTC(), LastUpdated: time.UnixMilli(st.lastMS).UTC()}
	var counts nameCounts
	for _, ev := range evs {
		out.Events = append(out.Events, ev.id)
		out.Size += ev.size()
		for _, n := range ev.entities {
			counts.add(n.id, n.name, n.count)
		}
	}
	out.Entities = c.telling(topNames(counts, out.Size, 20, c.vocab), evs)
	out.Entities = out.Entities[:min(10, len(out.Entities))]
	out.Name = c.storyName(st, out.Entities)
	return out, true
}

// telling keeps the names that tell what a thread is about: not its
// publishers ("CNN", "Fox News"), not the background of the news at
// large ("United States", "Covid"), and not a fragment of a longer name it
// lists ("North" of "North Korea", "Kim Jong" of "Kim Jong Un").
func (c *Clusterer) telling(names []string, evs []*eventState) []string {
	pubs := map[string]bool{}
	for _, ev := range evs {
		for _, m := range ev.members {
			if m.source != "" {
				pubs[strings.ToLower(m.source)] = true
			}
		}
	}
	var out []string
	for _, n := range names {
		l := strings.ToLower(n)
		if isPublisher(l, pubs) {
			continue
		}
		if id, ok := c.vocab.ids["@"+l]; ok && !c.vocab.telling(id) {
			continue
		}
		if slices.ContainsFunc(names, func(o string) bool {
			return len(o) > len(n) && containsWords(strings.ToLower(o), l)
		}) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// isPublisher reports whether a name is, or is part of, a publisher's
// name, or holds one ("CNN" of "CNN International").
func isPublisher(name string, pubs map[string]bool) bool {
	if pubs[name] {
		return true
	}
	for p := range pubs {
		if strings.Contains(p, name) || strings.Contains(name, p) {
			return true
		}
	}
	return false
}

// containsWords reports whether the words of part occur in whole, in
// order, as whole words.
func containsWords(whole, part string) bool {
	return strings.Contains(" "+whole+" ", " "+part+" ")
}

// storyName names a thread by its two most telling names, then its
// heaviest words that are not part of them, three parts at most.
func (c *Clusterer) storyName(st *storyline, names []string) string {
	parts := slices.Clone(names[:min(2, len(names))])
	lower := strings.ToLower(strings.Join(parts, " "))
	for _, id := range st.sums(&c.buf.cent).heaviest(12) {
		if len(parts) == 3 {
			break
		}
		form := c.vocab.forms[id]
		if strings.HasPrefix(c.vocab.terms[id], "@") || len(form) < 3 || isDated(form) || !c.vocab.telling(id) || containsWords(lower, form) {
			continue
		}
		parts = append(parts, form)
		lower += " " + form
	}
	return strings.Join(parts, " · ")
}
