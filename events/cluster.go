package events

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"time"
)

// Clusterer assigns a stream of docs to events, one doc at a time. It is
// not safe for concurrent use; the daemon feeds it from one goroutine.
type Clusterer struct {
	opts       Options
	vocab      *vocab
	boiler     *boilerplate
	habits     *habits
	dups       *lsh
	index      *index[*eventState]
	storyIndex *index[*storyline]

	docs         map[string]*docState
	events       map[string]*eventState // by id, live events only
	stories      map[string]*storyline  // by id
	storyAliases map[string]string      // merged-away storyline id -> the id it went into
	aliases      map[string]string      // merged-away id -> the id it went into
	now          time.Time              // latest publication time seen: the stream's clock
	buf          scratch
	spread       spread // the doc being placed, laid out for scoring
	labels       labels // publisher names and topic lists, shared by the docs
}

// docState is what a held doc leaves behind: what its event's record,
// eviction and the near-copy check read. Its text is not kept.
type docState struct {
	id, source string // no title: the store holds it (Event.Headline)
	published  time.Time
	topics     *sharedTopics
	event      *eventState
	an         analysed
	dupOf      string
}

// New returns an empty clusterer.
func New(opts Options) *Clusterer {
	opts = opts.withDefaults()
	return &Clusterer{
		opts:         opts,
		vocab:        newVocab(opts.BackgroundIDF),
		boiler:       newBoilerplate(opts.BoilerplateItems),
		habits:       newHabits(opts.HabitShare),
		dups:         newLSH(),
		index:        newIndex[*eventState](),
		storyIndex:   newIndex[*storyline](),
		docs:         make(map[string]*docState),
		events:       make(map[string]*eventState),
		stories:      make(map[string]*storyline),
		aliases:      make(map[string]string),
		storyAliases: make(map[string]string),
		labels:       newLabels(),
	}
}

// Add assigns d to the most likely active event, or opens a new event in
// the storyline it is closest to, or in a storyline of its own. Adding a
// doc id that is already held returns its current event.
func (c *Clusterer) Add(d Doc) Assignment {
	if ds, ok := c.docs[d.ID]; ok {
		return Assignment{DocID: d.ID, EventID: ds.event.id, StorylineID: ds.event.story.id, DuplicateOf: ds.dupOf}
	}
	ds := c.read(d)
	a := Assignment{DocID: d.ID, DuplicateOf: ds.dupOf, Lead: ds.an.lead}
	ev, st, bridged := c.decide(ds)
	if ev == nil {
		ev = c.newEvent(c.eventID(d.ID))
		c.joinStory(ev, st)
		a.NewEvent = true
	}
	c.attach(ds, ev)
	for _, o := range bridged {
		c.mergeStories(ev.story, o)
		a.MergedStorylines = append(a.MergedStorylines, o.id)
	}
	a.EventID, a.StorylineID = ev.id, ev.story.id
	return a
}

// Restore re-loads a doc with the event and storyline decided for it
// earlier (after a restart: the store's current event of the doc). It
// learns from the doc exactly as Add does but decides nothing, so
// restoring a prefix of a stream and adding the rest gives the same
// events as adding the whole stream.
func (c *Clusterer) Restore(d Doc, eventID, storylineID string) {
	if _, ok := c.docs[d.ID]; ok {
		return
	}
	ds := c.read(d)
	c.attach(ds, c.restoredEvent(eventID, storylineID))
}

// restoredEvent returns the held event of that id, or a new one in the
// storyline of that id.
func (c *Clusterer) restoredEvent(eventID, storylineID string) *eventState {
	if ev := c.lookupEvent(eventID); ev != nil {
		return ev
	}
	ev := c.newEvent(eventID)
	st := c.stories[storylineID]
	if st == nil && storylineID != "" {
		st = c.newStory(storylineID)
	}
	c.joinStory(ev, st)
	return ev
}

// read analyses a new doc and looks for an earlier doc it nearly copies.
func (c *Clusterer) read(d Doc) *docState {
	d.Published = c.clock(d.Published)
	ds := &docState{id: d.ID, source: c.labels.name(d.Source), published: d.Published,
		topics: c.labels.topicList(d.Topics), an: c.analyse(d)}
	ds.dupOf = c.duplicateOf(ds)
	return ds
}

// clock gives an undated doc the stream's current time, and moves the
// stream's clock forward with dated ones.
func (c *Clusterer) clock(t time.Time) time.Time {
	if t.IsZero() {
		return c.now
	}
	if t.After(c.now) {
		c.now = t
	}
	return t
}

// duplicateOf finds an active earlier doc whose text nearly equals ds's.
func (c *Clusterer) duplicateOf(ds *docState) string {
	best, bestSim := "", c.opts.Duplicate
	for _, other := range c.dups.candidates(&ds.an.sig) {
		if !c.active(other.event, ds.published) {
			continue
		}
		if ds.an.day != 0 && other.an.day != 0 && ds.an.day != other.an.day {
			continue // the same bulletin on another day is not a copy
		}
		if s := ds.an.sig.similarity(&other.an.sig); s > bestSim || s == bestSim && best == "" {
			best, bestSim = other.id, s
		}
	}
	return best
}

// decide picks the event for a doc: the event of its near copy, else the
// likeliest candidate if likely enough. When none is, it returns the
// storyline a new event of the doc joins (nil: a new storyline).
func (c *Clusterer) decide(ds *docState) (*eventState, *storyline, []*storyline) {
	if ds.dupOf != "" {
		return c.docs[ds.dupOf].event, nil, nil
	}
	nameIDF := c.nameIDFs(ds)
	cands := c.score(ds, nameIDF)
	var best *eventState
	bestP := c.opts.Join
	for _, s := range cands {
		if s.p >= bestP {
			best, bestP = s.ev, s.p
		}
	}
	if best != nil {
		return best, nil, nil
	}
	st, bridged := c.chooseStory(ds, nameIDF, cands)
	return nil, st, bridged
}

// score returns the candidate events with the probability that the doc
// joins each; the result is valid until the next doc.
func (c *Clusterer) score(ds *docState, nameIDF []float64) []scored {
	out := c.buf.events[:0]
	c.eachCandidate(ds, nameIDF, func(ev *eventState, x features) {
		out = append(out, scored{ev: ev, p: c.opts.Model.prob(x)})
	})
	c.buf.events = out
	return out
}

// eachCandidate calls fn with each candidate event the doc may join and
// their features.
func (c *Clusterer) eachCandidate(ds *docState, nameIDF []float64, fn func(*eventState, features)) {
	c.spread.load(ds.an.vec(), ds.an.tvec(), ds.an.soft, ds.an.entIDs, len(c.vocab.df), c.vocab.idf)
	defer c.spread.clear(ds.an.vec(), ds.an.tvec(), ds.an.soft)
	for _, ev := range c.candidates(ds) {
		if ev.dayClash(int(ds.an.day)) {
			continue
		}
		if x := c.features(ds, nameIDF, ev); x[fFounder] > 0 {
			fn(ev, x)
		}
	}
}

// candidates are the active events sharing the doc's heaviest terms,
// found through the inverted index.
func (c *Clusterer) candidates(ds *docState) []*eventState {
	o := c.opts
	query := c.queryOf(ds)
	t := ds.published.UnixMilli()
	return c.index.lookup(query, o.MaxPostings, o.MaxCandidates, func(firstMS, lastMS int64) bool {
		return c.activeSpan(firstMS, lastMS, t)
	})
}

// queryOf returns the doc's heaviest terms, which look up candidate
// events and storylines; computed once per doc.
func (c *Clusterer) queryOf(ds *docState) sparse {
	if c.buf.queryOf != ds {
		c.buf.queryOf = ds
		c.buf.query = ds.an.vec().topInto(c.buf.query[:0], c.opts.QueryTerms)
	}
	return c.buf.query
}

// active reports whether ev accepts docs published at t: within the
// window of its latest doc, and within the longest span an event may
// cover, so that an endless story is told as successive (related) events
// and memory stays bounded.
func (c *Clusterer) active(ev *eventState, t time.Time) bool {
	return c.activeSpan(ev.firstMS, ev.lastMS, t.UnixMilli())
}

// activeSpan is active for an event's span and a time, in Unix milliseconds.
func (c *Clusterer) activeSpan(firstMS, lastMS, ms int64) bool {
	w := c.opts.Window.Milliseconds()
	return ms-lastMS <= w && firstMS-ms <= w && ms-firstMS <= c.opts.MaxSpan.Milliseconds()
}

// eventID derives a stable id from the founding doc's id.
func (c *Clusterer) eventID(docID string) string {
	sum := sha1.Sum([]byte(docID))
	base := "ev-" + hex.EncodeToString(sum[:6])
	id := base
	for n := 2; c.taken(id); n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	return id
}

func (c *Clusterer) taken(id string) bool {
	_, live := c.events[id]
	_, alias := c.aliases[id]
	return live || alias
}

func (c *Clusterer) newEvent(id string) *eventState {
	ev := newEventState(id)
	c.events[id] = ev
	return ev
}

// attach adds the doc to the event and to the indexes.
func (c *Clusterer) attach(ds *docState, ev *eventState) {
	ds.event = ev
	c.docs[ds.id] = ds
	c.dups.add(ds)
	added := ev.add(ds, &c.buf)
	c.index.add(ev, added)
	c.addToStory(ev, ds, added)
	c.shed(ds, ev)
}

// shed drops what a placed doc no longer needs, so that a held doc costs
// little: its text was read, its names are counted in its event, its lead
// went out with its assignment, and a member past the core is never compared with again, so its soft vector
// goes too. What stays is what the event record, eviction and the
// near-copy check read.
func (c *Clusterer) shed(ds *docState, ev *eventState) {
	ds.an.transient = nil
	if ev.size() > coreSize {
		c.vocab.release(ds.an.soft)
		ds.an.soft = nil
	}
}

// lookupEvent finds a live event by its id or by an alias.
func (c *Clusterer) lookupEvent(id string) *eventState {
	if ev := c.events[id]; ev != nil {
		return ev
	}
	return c.events[c.aliases[id]]
}

// EventOf returns the current event of a held doc.
func (c *Clusterer) EventOf(docID string) (string, bool) {
	ds, ok := c.docs[docID]
	if !ok {
		return "", false
	}
	return ds.event.id, true
}

// Evict forgets events not updated since before, with their docs and
// their terms' document counts, so that memory stays bounded on an
// endless stream. Boilerplate and habit counts are kept: their tables
// have fixed bounds.
func (c *Clusterer) Evict(before time.Time) {
	var gone []*eventState
	for _, ev := range c.index.stalest(before.UnixMilli()) {
		if ev.last().Before(before) {
			gone = append(gone, ev)
		}
	}
	c.evict(gone)
}

// evict forgets the events gone, in their order, with their docs.
func (c *Clusterer) evict(gone []*eventState) {
	if len(gone) == 0 {
		return
	}
	for _, ev := range gone {
		c.leaveStory(ev)
		for _, ds := range ev.members {
			c.dups.remove(ds)
			c.vocab.uncountDoc(ds.an.vec(), ds.an.rounded())
			c.vocab.release(ds.an.soft)
			delete(c.docs, ds.id)
		}
		delete(c.events, ev.id)
		c.index.forget(ev, len(c.events))
	}
	c.vocab.forget(func(id uint32) {
		c.index.drop(id)
		c.storyIndex.drop(id)
	})
	for old, to := range c.aliases {
		if c.events[to] == nil {
			delete(c.aliases, old)
		}
	}
	for old, to := range c.storyAliases {
		if c.stories[to] == nil {
			delete(c.storyAliases, old)
		}
	}
}
