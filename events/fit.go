package events

import (
	"slices"
)

// The fitting stays in package events, apart from the evaluation lab
// (events/eval) that drives it: to collect its examples it replays labeled
// docs through the clusterer's own steps (read, candidate features,
// decide, attach), which are not part of the package's API. What it needs
// of the lab, scoring a configuration, it takes as an Objective.

// TrainingSet is a labeled set as Fit learns from it.
type TrainingSet struct {
	Docs []Doc
	// Event maps doc id to gold event: the happening sets' labels (nil
	// when Happenings is false).
	Event map[string]string
	// Story maps doc id to gold storyline.
	Story map[string]string
	// Happenings is true when the gold clusters are events (one happening
	// each), false when they are storylines.
	Happenings bool
}

// Objective scores a configuration on the training sets, higher is
// better: Event at the event grain (Fit picks the join threshold by it),
// Story at the storyline grain (the storyline thresholds).
type Objective struct {
	Event, Story func(Options) float64
}

// example is one (doc, candidate) pair seen while a labeled stream is
// replayed: its features (of a candidate event or storyline), and whether
// the doc belongs to the candidate.
type example struct {
	X    []float64
	Same bool
}

// teach places d in the event named eventID, as Restore does, and returns
// the features of d against each candidate event the clusterer would
// have scored, labeled with whether the candidate is eventID.
func (c *Clusterer) teach(d Doc, eventID string) []example {
	if _, ok := c.docs[d.ID]; ok {
		return nil
	}
	ds := c.read(d)
	var out []example
	if ds.dupOf == "" {
		c.eachCandidate(ds, c.nameIDFs(ds), func(ev *eventState, x features) {
			out = append(out, example{X: x[:], Same: ev.id == eventID})
		})
	}
	c.attach(ds, c.restoredEvent(eventID, ""))
	return out
}

// teachStory places d as Add does, except that when d opens an event the
// event joins the storyline named storylineID; it returns the features of
// d against each candidate storyline the clusterer would have scored.
func (c *Clusterer) teachStory(d Doc, storylineID string) []example {
	if _, ok := c.docs[d.ID]; ok {
		return nil
	}
	ds := c.read(d)
	ev, _, _ := c.decide(ds)
	var out []example
	if ev == nil {
		nameIDF := c.nameIDFs(ds)
		for _, s := range c.storyCandidates(ds, c.score(ds, nameIDF)) {
			x := c.storyFeatures(ds, nameIDF, s.story, s.p)
			out = append(out, example{X: x[:], Same: s.story.id == storylineID})
		}
		ev = c.newEvent(c.eventID(d.ID))
		st := c.stories[storylineID]
		if st == nil {
			st = c.newStory(storylineID)
		}
		c.joinStory(ev, st)
	}
	c.attach(ds, ev)
	return out
}

// harvest replays labeled docs in stream order with their gold events as
// events and collects the examples teach returns.
func harvest(docs []Doc, gold map[string]string, opts Options) []example {
	var out []example
	c := New(opts)
	for _, d := range sortedDocs(docs) {
		out = append(out, c.teach(d, gold[d.ID])...)
	}
	return out
}

// harvestOnPolicy replays labeled docs in stream order, placing each as
// opts decide, and collects the features of each doc against each
// candidate, labeled with whether the candidate's founding doc belongs to
// the doc's gold event: the examples of the states the clusterer itself
// reaches, impure events included.
func harvestOnPolicy(docs []Doc, gold map[string]string, opts Options) []example {
	var out []example
	c := New(opts)
	for _, d := range sortedDocs(docs) {
		if _, ok := c.docs[d.ID]; ok {
			continue
		}
		ds := c.read(d)
		if ds.dupOf == "" {
			c.eachCandidate(ds, c.nameIDFs(ds), func(ev *eventState, x features) {
				out = append(out, example{X: x[:], Same: gold[ev.members[0].id] == gold[d.ID]})
			})
		}
		ev, st, _ := c.decide(ds)
		if ev == nil {
			ev = c.newEvent(c.eventID(d.ID))
			c.joinStory(ev, st)
		}
		c.attach(ds, ev)
	}
	return out
}

func sortedDocs(docs []Doc) []Doc {
	out := slices.Clone(docs)
	slices.SortStableFunc(out, func(a, b Doc) int { return a.Published.Compare(b.Published) })
	return out
}

// fitModel fits the (doc, event) model to examples.
func fitModel(ex []example, l2 float64) Model {
	var m Model
	m.Bias = fitLogistic(ex, l2, m.Weights[:])
	return m
}

// fitStoryModel fits the (doc, storyline) model to examples.
func fitStoryModel(ex []example, l2 float64) StoryModel {
	var m StoryModel
	m.Bias = fitLogistic(ex, l2, m.Weights[:])
	return m
}

// Fit fits a configuration on labeled sets: the (doc, event) model on the
// examples of the happening sets, then the join threshold that scores
// best on them, then the (doc, storyline) model on the examples of all
// sets, then the storyline threshold that scores best on them.
func Fit(train []TrainingSet, base Options, score Objective) Options {
	opts := base.withDefaults()
	var ex []example
	for _, s := range train {
		if s.Happenings {
			ex = append(ex, harvest(s.Docs, s.Event, opts)...)
		}
	}
	for round := 0; ; round++ {
		opts.Model = fitModel(ex, 1)
		opts.Join = bestThreshold(func(j float64) float64 {
			o := opts
			o.Join = j
			return score.Event(o)
		})
		if round == fitRounds {
			break
		}
		for _, s := range train {
			if s.Happenings {
				ex = append(ex, harvestOnPolicy(s.Docs, s.Event, opts)...)
			}
		}
	}
	var sx []example
	for _, s := range train {
		c := New(opts)
		for _, d := range sortedDocs(s.Docs) {
			sx = append(sx, c.teachStory(d, s.Story[d.ID])...)
		}
	}
	opts.StoryModel = fitStoryModel(sx, 1)
	// The headlines' storylines are their related pairs' components, from
	// best-effort lists; they still hold the thresholds back from the loose
	// topics the storyline sets would take alone.
	storyScore := score.Story
	opts.StoryMerge = 2 // no merges while the join threshold is chosen
	opts.StoryJoin = bestThreshold(func(j float64) float64 {
		o := opts
		o.StoryJoin = j
		return storyScore(o)
	})
	opts.StoryMerge = bestThresholdFrom(opts.StoryJoin, func(m float64) float64 {
		o := opts
		o.StoryMerge = m
		return storyScore(o)
	})
	return opts
}

// fitRounds is how many times the model is refitted on the examples of
// its own runs (the first fit sees the gold events only).
var fitRounds = 2

// bestThreshold returns the threshold among 0.05, 0.10, ..., 0.95 with the
// highest objective (the lowest of equals).
func bestThreshold(objective func(float64) float64) float64 {
	return bestThresholdFrom(0.05, objective)
}

// bestThresholdFrom is bestThreshold over the grid's points from lo, and
// 1.05 (never).
func bestThresholdFrom(lo float64, objective func(float64) float64) float64 {
	best, bestObj := 0.0, -1.0
	for k := 1; k <= 21; k++ {
		t := float64(k) / 20
		if t < lo-1e-9 || k == 20 {
			continue
		}
		if o := objective(t); o > bestObj+1e-9 {
			best, bestObj = t, o
		}
	}
	return best
}
