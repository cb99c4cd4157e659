package events

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"slices"
	"strings"
	"time"
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
	sums   centroids // the sums of its events' member vectors
	docs   int
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
	sSize
	sVote
	numStoryFeatures
)

var storyFeatureNames = [numStoryFeatures]string{"event", "cos", "tcos", "names", "hours", "size", "vote"}

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
	t := ds.doc.Published.UnixMilli()
	w := o.Window.Milliseconds()
	found := c.storyIndex.lookup(ds.an.vec.top(o.QueryTerms), o.MaxPostings, o.MaxCandidates, func(_, lastMS int64) bool {
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
// doc's highest probability of joining one of its events.
func (c *Clusterer) storyFeatures(ds *docState, nameIDF []float64, st *storyline, p float64) storyFeatures {
	var x storyFeatures
	var names, votes float64
	// A term held mostly by this storyline's docs points at it; only the
	// excess over the storyline's share of all docs counts, so that a big
	// storyline does not win every doc through common words.
	base := float64(st.docs) / float64(c.storyBase()+100)
	l := st.sums.compare(ds.an.vec, ds.an.tvec, func(e entry, ts termStat) {
		earlier := float64(c.vocab.df[e.id]) - 1
		if share := float64(ts.count) / (earlier + 1); share > base {
			votes += float64(e.w) * (share - base) / (1 - base)
		}
		if k, ok := slices.BinarySearch(ds.an.entIDs, e.id); ok {
			names += nameIDF[k]
		}
	})
	x[sEvent] = p
	x[sCos], x[sTitleCos] = l.cos, l.titleCos
	if total := sum(nameIDF); total > 0 {
		x[sNames] = names / total
	}
	hours := float64(ds.doc.Published.UnixMilli()-st.lastMS) / 3.6e6
	x[sHours] = math.Log1p(math.Abs(hours))
	x[sSize] = math.Log(float64(len(st.events)))
	if ds.an.mass > 0 {
		x[sVote] = votes / ds.an.mass
	}
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
	for _, ev := range b.events {
		ev.story = a
		a.events = append(a.events, ev)
		for _, ds := range ev.members {
			c.addToStory(ev, ds)
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
	ev.story = st
	st.events = append(st.events, ev)
}

// addToStory folds a doc of ev into its storyline: its span, and its
// sums if the doc stands for the event there.
func (c *Clusterer) addToStory(ev *eventState, ds *docState) {
	st := ev.story
	ms := ds.doc.Published.UnixMilli()
	if st.firstMS == 0 || ms < st.firstMS {
		st.firstMS = ms
	}
	st.lastMS = max(st.lastMS, ms)
	buf := &c.buf
	buf.added = buf.added[:0]
	if c.storyCounts(ev, ds) {
		buf.added, buf.fresh = st.sums.add(ds.an.vec, ds.an.tvec, buf.added, buf.fresh[:0])
		st.docs++
	}
	c.storyIndex.add(st, buf.added)
}

// storyCounts reports whether a doc of an event is in its storyline's
// sums: every doc, or with StoryFounders the event's first only.
func (c *Clusterer) storyCounts(ev *eventState, ds *docState) bool {
	return !c.opts.StoryFounders || ev.members[0] == ds
}

// storyBase is how many docs all storylines' sums hold together.
func (c *Clusterer) storyBase() int {
	if c.opts.StoryFounders {
		return len(c.events)
	}
	return len(c.docs)
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
	for _, ds := range ev.members {
		if c.storyCounts(ev, ds) {
			st.sums.sub(ds.an.vec, ds.an.tvec)
			st.docs--
		}
	}
}

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
		if d := a.first.Compare(b.first); d != 0 {
			return d
		}
		return strings.Compare(a.id, b.id)
	})
	out := Storyline{ID: st.id, FirstSeen: time.UnixMilli(st.firstMS).UTC(), LastUpdated: time.UnixMilli(st.lastMS).UTC()}
	counts := map[string]*named{}
	for _, ev := range evs {
		out.Events = append(out.Events, ev.id)
		out.Size += ev.size()
		for k, n := range ev.entities {
			if counts[k] == nil {
				counts[k] = &named{name: n.name}
			}
			counts[k].count += n.count
		}
	}
	out.Entities = c.telling(topNames(counts, out.Size, 20), evs)
	out.Entities = out.Entities[:min(10, len(out.Entities))]
	out.Name = c.storyName(st, out.Entities)
	return out, true
}

// telling keeps the names that tell what a thread is about: not its
// publishers ("CNN", "Fox News"), and not a fragment of a longer name it
// lists ("North" of "North Korea", "Kim Jong" of "Kim Jong Un").
func (c *Clusterer) telling(names []string, evs []*eventState) []string {
	var pubs []string
	for _, ev := range evs {
		for _, m := range ev.members {
			if p := strings.ToLower(m.doc.Source); p != "" && !slices.Contains(pubs, p) {
				pubs = append(pubs, p)
			}
		}
	}
	var out []string
	for _, n := range names {
		l := strings.ToLower(n)
		if slices.ContainsFunc(pubs, func(p string) bool { return strings.Contains(p, l) || strings.Contains(l, p) }) {
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
	for _, id := range st.sums.heaviest(12) {
		if len(parts) == 3 {
			break
		}
		form := c.vocab.forms[id]
		if strings.HasPrefix(c.vocab.terms[id], "@") || form == "" || isDated(form) || containsWords(lower, form) {
			continue
		}
		parts = append(parts, form)
		lower += " " + form
	}
	return strings.Join(parts, " · ")
}

// lookupStory finds a live storyline by its id or by an alias.
func (c *Clusterer) lookupStory(id string) *storyline {
	if st := c.stories[id]; st != nil {
		return st
	}
	return c.stories[c.storyAliases[id]]
}
