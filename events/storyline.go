package events

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"slices"
)

// A storyline is a thread of related events: the same actors and subject
// over days (the George Floyd protests; Kim Jong Un's health). It is built
// on the events, not by a second clustering of items: when a doc opens a
// new event, the event joins the storyline of the events the doc nearly
// joined, if the doc is close enough to it, or opens a storyline of its
// own. An event stays in its storyline for life.
type storyline struct {
	posted
	events []*eventState
	own    *centroids // the sums of its events' member vectors, once it has two events (nil before)
	docs   int
}

// sums are the sums of the storyline's member vectors. Most storylines
// hold one event, whose own sums they are; a copy is made only when a
// second event joins.
func (st *storyline) sums(buf *centroids) *centroids {
	if len(st.events) == 1 {
		return st.events[0].centroid(buf)
	}
	return st.own
}

// share gives the storyline sums of its own before it takes a second
// event.
func (st *storyline) share() {
	if len(st.events) == 1 {
		st.own = st.events[0].centroid(&centroids{}).clone()
	}
}

func newStoryline(id string) *storyline { return &storyline{posted: newPosted(id)} }

func (st *storyline) post() *posted { return &st.posted }

// The storyline features of a (doc, storyline) pair.
const (
	sEvent = iota // the highest event probability among the storyline's events
	sCos
	sTitleCos
	sNames
	sHours
	numStoryFeatures
)

var storyFeatureNames = [numStoryFeatures]string{"event", "cos", "tcos", "names", "hours"}

type storyFeatures [numStoryFeatures]float64

// StoryModel is a logistic model over the (doc, storyline) features.
type StoryModel struct {
	Weights [numStoryFeatures]float64
	Bias    float64
}

func (m StoryModel) prob(x storyFeatures) float64 {
	z := m.Bias
	for i, w := range m.Weights {
		z += w * x[i]
	}
	return 1 / (1 + math.Exp(-z))
}

// scored is a candidate event or storyline with the probability the doc
// joins it.
type scored struct {
	ev    *eventState
	story *storyline
	p     float64
}

// storyCandidates are the storylines sharing the doc's heaviest terms,
// each with the doc's highest probability of joining one of its events
// (among the candidate events scored).
func (c *Clusterer) storyCandidates(ds *docState, cands []scored) []scored {
	o := c.opts
	t := ds.published.UnixMilli()
	w := o.Window.Milliseconds()
	query := c.buf.tellingQuery[:0]
	for _, e := range c.queryOf(ds) {
		if c.vocab.telling(e.id) {
			query = append(query, e)
		}
	}
	c.buf.tellingQuery = query
	found := c.storyIndex.lookup(query, o.MaxPostings, o.MaxCandidates, func(_, lastMS int64) bool {
		return t-lastMS <= w
	})
	out := c.buf.stories[:0]
	for _, st := range found {
		p := 0.0
		for _, s := range cands {
			if s.ev.story == st {
				p = max(p, s.p)
			}
		}
		out = append(out, scored{story: st, p: p})
	}
	c.buf.stories = out
	return out
}

// storyFeatures computes the likeness of a doc and a storyline; p is the
// doc's highest probability of joining one of its events. A thread is
// told by its own names and words: the background of a season
// ("coronavirus", "lockdown", "Trump": common in the news at large) is
// left out of the likeness, or a season's news would be one thread. No
// feature grows with the storyline: a big one must not draw docs by its
// size, or it would take in a week's news.
func (c *Clusterer) storyFeatures(ds *docState, nameIDF []float64, st *storyline, p float64) storyFeatures {
	var x storyFeatures
	var names float64
	var dot, tdot int64
	sums := st.sums(&c.buf.cent)
	j := 0
	sums.compare(ds.an.vec(), nil, func(e entry, ts termStat) {
		if !c.vocab.telling(e.id) {
			return
		}
		dot += int64(e.w) * int64(ts.all)
		for j < len(ds.an.tvec()) && ds.an.tvec()[j].id < e.id {
			j++
		}
		if j < len(ds.an.tvec()) && ds.an.tvec()[j].id == e.id {
			tdot += int64(ds.an.tvec()[j].w) * int64(ts.title)
		}
		if k, ok := slices.BinarySearch(ds.an.entIDs, e.id); ok {
			names += nameIDF[k]
		}
	})
	if sums.allNorm2 > 0 {
		x[sCos] = float64(dot) / (unit * math.Sqrt(float64(sums.allNorm2)))
	}
	if sums.tNorm2 > 0 {
		x[sTitleCos] = float64(tdot) / (unit * math.Sqrt(float64(sums.tNorm2)))
	}
	x[sEvent] = p
	if total := sum(nameIDF); total > 0 {
		x[sNames] = names / total
	}
	hours := float64(ds.published.UnixMilli()-st.lastMS) / 3.6e6
	x[sHours] = math.Log1p(math.Abs(hours))
	return x
}

// chooseStory picks the storyline a new event of ds joins (nil: a new
// one), and the other storylines the doc is as likely to belong to: it
// bridges them, and they are folded into the chosen one.
func (c *Clusterer) chooseStory(ds *docState, nameIDF []float64, cands []scored) (*storyline, []*storyline) {
	var best *storyline
	var bestQ float64
	var likely []*storyline
	for _, s := range c.storyCandidates(ds, cands) {
		q := c.opts.StoryModel.prob(c.storyFeatures(ds, nameIDF, s.story, s.p))
		if q < c.opts.StoryJoin {
			continue
		}
		if q >= c.opts.StoryMerge {
			likely = append(likely, s.story)
		}
		if best == nil || q > bestQ {
			best, bestQ = s.story, q
		}
	}
	return best, slices.DeleteFunc(likely, func(st *storyline) bool { return st == best })
}

// mergeStories folds storyline b into a: b's events move, b's id becomes
// an alias of a's.
func (c *Clusterer) mergeStories(a, b *storyline) {
	a.share()
	for _, ev := range b.events {
		ev.story = a
		a.events = append(a.events, ev)
		for _, ds := range ev.members {
			c.addToStory(ev, ds, nil)
		}
	}
	delete(c.stories, b.id)
	c.storyIndex.forget(b, len(c.stories))
	c.storyAliases[b.id] = a.id
	for old, to := range c.storyAliases {
		if to == b.id {
			c.storyAliases[old] = a.id
		}
	}
}

// storyID derives a storyline's id from its founding event's.
func storyID(eventID string) string {
	sum := sha1.Sum([]byte("storyline\x00" + eventID))
	return "sl-" + hex.EncodeToString(sum[:6])
}

// joinStory puts an event in a storyline, a new one when st is nil.
func (c *Clusterer) joinStory(ev *eventState, st *storyline) {
	if st == nil {
		st = c.newStory(storyID(ev.id))
	}
	st.share()
	ev.story = st
	st.events = append(st.events, ev)
}

// addToStory folds a doc of ev into its storyline's span and sums, and
// posts the terms new to the storyline. added are the terms new to the
// event, which are the storyline's new terms while it holds the event
// alone (and shares its sums).
func (c *Clusterer) addToStory(ev *eventState, ds *docState, added []uint32) {
	st := ev.story
	ms := ds.published.UnixMilli()
	if st.docs == 0 || ms < st.firstMS {
		st.firstMS = ms
	}
	if st.docs == 0 || ms > st.lastMS {
		st.lastMS = ms
	}
	st.docs++
	if len(st.events) > 1 {
		buf := &c.buf
		buf.added, buf.fresh = st.own.add(ds.an.vec(), ds.an.tvec(), buf.added[:0], buf.fresh[:0])
		added = buf.added
	}
	// Only telling terms are posted: a storyline is found by its own words.
	told := c.buf.told[:0]
	for _, id := range added {
		if c.vocab.telling(id) {
			told = append(told, id)
		}
	}
	c.buf.told = told
	c.storyIndex.add(st, told)
}

// newStory opens a storyline.
func (c *Clusterer) newStory(id string) *storyline {
	st := newStoryline(id)
	c.stories[id] = st
	return st
}

// StorylineOf returns the storyline of a held event.
func (c *Clusterer) StorylineOf(eventID string) (string, bool) {
	ev := c.lookupEvent(eventID)
	if ev == nil || ev.story == nil {
		return "", false
	}
	return ev.story.id, true
}

// leaveStory takes an evicted event out of its storyline, which goes when
// it has no event left.
func (c *Clusterer) leaveStory(ev *eventState) {
	st := ev.story
	st.events = slices.DeleteFunc(st.events, func(e *eventState) bool { return e == ev })
	if len(st.events) == 0 {
		delete(c.stories, st.id)
		c.storyIndex.forget(st, len(c.stories))
		return
	}
	st.docs -= ev.size()
	if len(st.events) == 1 {
		st.own = nil // back to sharing its one event's sums
		return
	}
	for _, ds := range ev.members {
		st.own.sub(ds.an.vec(), ds.an.tvec())
	}
}

// lookupStory finds a live storyline by its id or by an alias.
func (c *Clusterer) lookupStory(id string) *storyline {
	if st := c.stories[id]; st != nil {
		return st
	}
	return c.stories[c.storyAliases[id]]
}
