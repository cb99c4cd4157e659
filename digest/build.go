package digest

import (
	"math"
	"slices"
	"time"

	"herald/events"
	"herald/rank"
)

// Subscriber is one reader of digests.
type Subscriber struct {
	Email, Name string
	Topics      []string       // none means every topic
	TopicTitles []string       // the display names of Topics, in order, for the footer
	Location    *time.Location // dates in the mail are shown in it
}

// Options tune what a digest lists.
type Options struct {
	MaxEvents int // the most events one digest lists; 0 means 25
	// UpdateGrowth: an event sent before returns, marked "update", once
	// its independent sources reach this multiple of the count sent (and
	// at least two more). 0 means 2.
	UpdateGrowth float64
}

func (o Options) withDefaults() Options {
	if o.MaxEvents <= 0 {
		o.MaxEvents = 25
	}
	if o.UpdateGrowth <= 0 {
		o.UpdateGrowth = 2
	}
	return o
}

// Entry is one event in a digest.
type Entry struct {
	Event   events.Event
	Sources int  // independent sources now
	Update  bool // sent before and grew a lot since
	Was     int  // independent sources when last sent (updates only)
}

// Thread is a storyline's events in a digest: one heading over them,
// ranked once (package rank), the events oldest first.
type Thread struct {
	Storyline string // its id; "" for an event without one
	// Name is its heading: the one it was mailed under before, so a
	// storyline continues under the same heading, else the storyline's
	// name, else its most reported event's headline.
	Name    string
	Entries []Entry
	Sources int // the entries' independent sources, summed
	More    int // its events of the period left out (a thread lists rank.ThreadEvents at most)
	Earlier int // its events in the subscriber's earlier digests: 0 for a storyline new to the reader
}

// Digest is what one subscriber receives for one period.
type Digest struct {
	Subscriber Subscriber
	Period     Period
	Threads    []Thread
}

// Entries lists the digest's events in reading order.
func (d Digest) Entries() []Entry {
	var out []Entry
	for _, t := range d.Threads {
		out = append(out, t.Entries...)
	}
	return out
}

// Empty reports whether the digest lists nothing.
func (d Digest) Empty() bool { return len(d.Threads) == 0 }

// Input is what a digest is chosen from.
type Input struct {
	Candidates []events.Event // events that gained a report in the period
	Sent       map[string]int // event id → its independent sources when last mailed
	// Mailed is what the subscriber's earlier digests listed of each
	// storyline, by storyline id.
	Mailed map[string]Mailed
	// Storylines are the candidates' storylines by id, for their names.
	Storylines map[string]events.Storyline
}

// Mailed is what earlier digests listed of a storyline.
type Mailed struct {
	Events  int    // its events mailed
	Heading string // the heading it was last mailed under
}

// Build chooses the digest's events: the candidates in the subscriber's
// topics that it has not been sent yet, plus those sent before that grew a
// lot since. It groups them by storyline and ranks the threads (package
// rank: independent sources, then reports, then recency, a storyline's
// most reported events counted together), then takes threads until
// MaxEvents events. A thread lists its rank.ThreadEvents most reported
// events at most (fewer when the digest is nearly full) and counts the
// rest.
func Build(sub Subscriber, p Period, in Input, opt Options) Digest {
	opt = opt.withDefaults()
	cands := in.Candidates
	updates := map[int]int{} // the candidates mailed before that grew a lot: their sources when mailed
	var pick []int
	for i := range cands {
		ev := &cands[i]
		if !inTopics(ev.Topics, sub.Topics) {
			continue
		}
		if was, ok := in.Sent[ev.ID]; ok {
			if !grewALot(was, rank.Independent(*ev), opt.UpdateGrowth) {
				continue
			}
			updates[i] = was
		}
		pick = append(pick, i)
	}
	d := Digest{Subscriber: sub, Period: p}
	left := opt.MaxEvents
	// Each thread holds an event at least: MaxEvents threads are enough.
	for _, g := range rank.Groups(cands, pick, opt.MaxEvents) {
		if left == 0 {
			break
		}
		members := fit(cands, g.Members, min(left, rank.ThreadEvents))
		left -= len(members)
		mailed := in.Mailed[g.Storyline]
		t := Thread{Storyline: g.Storyline, Earlier: mailed.Events, More: len(g.Members) - len(members),
			Name: heading(cands, g, mailed, in.Storylines[g.Storyline])}
		for _, i := range members {
			was, update := updates[i]
			e := Entry{Event: cands[i], Sources: rank.Independent(cands[i]), Update: update, Was: was}
			t.Sources += e.Sources
			t.Entries = append(t.Entries, e)
		}
		d.Threads = append(d.Threads, t)
	}
	return d
}

// fit returns members (indices into evs, oldest first) when they are at
// most n, else their n most reported, still oldest first.
func fit(evs []events.Event, members []int, n int) []int {
	if len(members) <= n {
		return members
	}
	best := slices.Clone(members)
	slices.SortFunc(best, func(a, b int) int { return rank.Compare(rank.Of(evs[a]), rank.Of(evs[b])) })
	keep := best[:n]
	return slices.DeleteFunc(slices.Clone(members), func(i int) bool { return !slices.Contains(keep, i) })
}

// heading names a thread: as it was last mailed, else by its storyline's
// name, else by its most reported event's headline.
func heading(evs []events.Event, g rank.Group, m Mailed, st events.Storyline) string {
	if m.Heading != "" {
		return m.Heading
	}
	if st.Name != "" {
		return st.Name
	}
	best := g.Members[0]
	for _, i := range g.Members[1:] {
		if rank.Compare(rank.Of(evs[i]), rank.Of(evs[best])) < 0 {
			best = i
		}
	}
	return evs[best].Headline
}

func grewALot(was, now int, factor float64) bool {
	return now >= was+2 && float64(now) >= math.Ceil(float64(was)*factor)
}

func inTopics(evTopics, want []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, t := range evTopics {
		if slices.Contains(want, t) {
			return true
		}
	}
	return false
}
