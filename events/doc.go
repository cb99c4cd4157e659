// Package events is Herald's deduplicator: it turns a stream of news items
// from many publishers into events, each the reports of one real-world
// happening, and threads events into storylines, each the same actors and
// subject over days.
//
// The core is pure: a Clusterer is fed docs in publication order and
// decides, for each, whether it nearly copies an earlier doc, joins an
// active event, or opens a new one, and which storyline a new event
// continues. It does no I/O and reads no clock; time is the docs' own
// publication time. After a restart, its whole state can be read back
// from a snapshot (snapshot.go; the Placer keeps it in the store,
// placer_snapshot.go), or its decisions replayed with Restore: either
// gives the same events as an uninterrupted run.
//
// How a doc is read: words (tokens.go), names (entities.go, gazetteer.go),
// text and title furniture its source repeats removed (boiler.go,
// habits.go), terms and their frequencies in the window and in the news at
// large (vocab.go, lexicon.go), TF-IDF vectors (vector.go, analyse.go), words
// close in meaning (lexicon.go) and a MinHash signature (minhash.go).
// How it is placed: near-duplicate lookup by LSH, candidate events from an
// inverted index (index.go), a fitted model over likenesses to the event's
// core members (match.go), the decision (cluster.go), then the storyline
// (storyline.go). What comes out: event records (event.go), storyline
// records (storyrecord.go) and related events (related.go).
// The weights are fitted on labeled sets (fit.go, logistic.go; written to
// fitted.go by `herald eval fit`); baseline.go is the plain clusterer the
// sets' figures are compared with. The evaluation lab that reads, runs and
// scores the labeled sets, and drives the fit, is events/eval.
package events

import "time"

// Doc is one news item as the deduplicator sees it.
type Doc struct {
	ID        string // stable item id
	Source    string // publisher or feed name: per-source boilerplate is learned under it
	Title     string
	Summary   string
	Text      string
	Lang      string // BCP 47 tag; "" counts as English
	Published time.Time
	Topics    []string
}

// Assignment is the decision made for one doc.
type Assignment struct {
	DocID, EventID string
	StorylineID    string // the thread of related events EventID belongs to
	NewEvent       bool
	// DuplicateOf is the earlier doc this one nearly copies (syndicated
	// wire copy, a headline edited between polls), if any.
	DuplicateOf string
	// MergedStorylines lists storylines folded into StorylineID: this doc
	// showed them to be one thread.
	MergedStorylines []string
	// Lead is the doc's description as the deduplicator read it: without
	// its feed's boilerplate, clipped to a summary's length. It is the
	// event's summary while the doc gives the headline. The deduplicator
	// does not hold it: whoever stores the decision keeps it with the doc.
	// It is empty when Add is given a doc it already holds, whose
	// placement was stored before.
	Lead string
}

// Options tune the clusterer. DefaultOptions is the one configuration
// used for every feed and every evaluation set.
type Options struct {
	// Window is how long an event accepts docs after its latest one, and
	// MaxSpan how long after its first one: an event is one news cycle,
	// and a later happening of its storyline opens an event of its own.
	Window, MaxSpan time.Duration
	// Join is the probability (from Model) a doc needs to join an event.
	Join float64
	// Duplicate is the MinHash estimate of word-pair overlap above which a
	// doc is a near copy of an earlier one.
	Duplicate float64
	// Model scores a (doc, event) pair; see match.go.
	Model Model
	// StoryJoin is the probability (from StoryModel) a doc that opens an
	// event needs for the event to join a storyline; see storyline.go.
	StoryJoin  float64
	StoryModel StoryModel
	// StoryMerge is the probability above which a doc that opens an event
	// folds the storylines it is that likely to belong to into one.
	StoryMerge float64

	// Weights of the parts of a doc in its vector.
	TitleWeight, BodyWeight, EntityWeight float64
	// BackgroundIDF is the weight, from 0 to 1, of a term's IDF in the news
	// at large (lexicon.go) against its IDF in the window.
	BackgroundIDF float64
	// BodyWords caps how much of summary and text is read.
	BodyWords int
	// BoilerplateItems is how many earlier items of the same source must
	// carry a text before it counts as that source's boilerplate
	// (negative: never).
	BoilerplateItems int
	// HabitShare is the share of a source's items above which a term is
	// that source's habit and weighs less in its docs (0: never).
	HabitShare float64

	// QueryTerms, MaxPostings and MaxCandidates bound the candidate search:
	// the doc's heaviest terms are looked up, terms found in more active
	// events than MaxPostings are too common to use, and at most
	// MaxCandidates events are scored.
	QueryTerms, MaxPostings, MaxCandidates int
}

// DefaultOptions returns the one configuration: the weights and
// thresholds fitted on the labeled sets (fitted.go, written by
// `herald eval fit`) over the structure below.
func DefaultOptions() Options {
	return fitted.fitted().apply(baseOptions())
}

// baseOptions is the structure the fitted weights are fitted for.
func baseOptions() Options {
	return Options{
		Window:           72 * time.Hour,
		MaxSpan:          48 * time.Hour,
		Duplicate:        0.6,
		TitleWeight:      2,
		BodyWeight:       1,
		EntityWeight:     1,
		BodyWords:        80,
		BackgroundIDF:    0.5,
		BoilerplateItems: 2,
		HabitShare:       0.25,
		QueryTerms:       10,
		MaxPostings:      40,
		MaxCandidates:    8,
	}
}

// withDefaults fills unset fields from DefaultOptions, so that Options{}
// works.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	setf := func(v *float64, def float64) {
		if *v <= 0 {
			*v = def
		}
	}
	seti := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	if o.Window <= 0 {
		o.Window = d.Window
	}
	if o.MaxSpan <= 0 {
		o.MaxSpan = d.MaxSpan
	}
	setf(&o.Join, d.Join)
	setf(&o.StoryJoin, d.StoryJoin)
	setf(&o.StoryMerge, d.StoryMerge)
	setf(&o.Duplicate, d.Duplicate)
	if o.Model == (Model{}) {
		o.Model = d.Model
	}
	if o.StoryModel == (StoryModel{}) {
		o.StoryModel = d.StoryModel
	}
	if o.TitleWeight <= 0 && o.BodyWeight <= 0 {
		o.TitleWeight, o.BodyWeight = d.TitleWeight, d.BodyWeight
	}
	o.EntityWeight = max(o.EntityWeight, 0)
	seti(&o.BodyWords, d.BodyWords)
	if o.BoilerplateItems == 0 {
		o.BoilerplateItems = d.BoilerplateItems
	}
	seti(&o.QueryTerms, d.QueryTerms)
	seti(&o.MaxPostings, d.MaxPostings)
	seti(&o.MaxCandidates, d.MaxCandidates)
	return o
}
