package events

import (
	"maps"
	"slices"
)

// Writing and reading the held docs, events and storylines, which point
// at each other by ordinal (snapshot.go).

// A held doc has been placed, so it holds no names or lead (shed).
func (ds *docState) write(e *encoder) {
	for _, s := range []string{ds.id, ds.source, ds.dupOf} {
		e.str(s)
	}
	e.time(ds.published)
	e.uint(uint64(len(ds.topics.topics())))
	for _, t := range ds.topics.topics() {
		e.str(t)
	}
	a := &ds.an
	e.uint(uint64(a.nVec))
	e.uint(uint64(a.nTitle))
	e.uint(uint64(len(a.rounded())))
	e.entries(a.vec())
	e.entries(a.tvec())
	e.entries(a.rounded())
	e.sparse(a.soft)
	for _, h := range a.sig {
		e.u32(h)
	}
	e.int(int64(a.day))
}

func (ev *eventState) write(e *encoder, o *ordinals) {
	e.str(ev.id)
	e.int(int64(ev.slot))
	e.time(ev.first())
	e.time(ev.last())
	e.centroids(ev.sums)
	e.uint(uint64(len(ev.entities)))
	for _, n := range ev.entities {
		e.uint(uint64(n.id))
		e.str(n.name)
		e.int(int64(n.count))
	}
	e.uint(uint64(len(ev.members)))
	for _, ds := range ev.members {
		e.uint(uint64(o.docs[ds]))
	}
	e.uint(uint64(len(ev.days)))
	for _, day := range slices.Sorted(maps.Keys(ev.days)) {
		e.int(int64(day))
		e.int(int64(ev.days[day]))
	}
	e.uint(refOf(ev.story, o.stories))
}

func (st *storyline) write(e *encoder, o *ordinals) {
	e.str(st.id)
	e.int(int64(st.slot))
	e.int(st.firstMS)
	e.int(st.lastMS)
	e.int(int64(st.docs))
	e.centroids(st.own)
	e.uint(uint64(len(st.events)))
	for _, ev := range st.events {
		e.uint(refOf(ev, o.events))
	}
}

// refOf is a pointer as its ordinal plus two: 0 is nil, and 1 an element
// no longer held (an index keeps those until it compacts).
func refOf[T comparable](p T, ords map[T]int) uint64 {
	var zero T
	if p == zero {
		return 0
	}
	if n, ok := ords[p]; ok {
		return uint64(n) + 2
	}
	return 1
}

func readDoc(d *decoder, l *labels) *docState {
	ds := &docState{}
	for _, s := range []*string{&ds.id, &ds.source, &ds.dupOf} {
		*s = d.str()
	}
	ds.source = l.name(ds.source)
	ds.published = d.time()
	var topics []string
	for range d.each(d.count()) {
		topics = append(topics, d.str())
	}
	ds.topics = l.topicList(topics)
	a := &ds.an
	nVec, nTitle, nRounded := d.count(), d.count(), d.count()
	a.terms = make([]entry, 0, capped(nVec+nTitle+nRounded))
	a.terms = d.entries(d.entries(d.entries(a.terms, nVec), nTitle), nRounded)
	a.nVec, a.nTitle = uint32(nVec), uint32(nTitle)
	if len(a.terms) != nVec+nTitle+nRounded { // cut short by an error
		a.terms, a.nVec, a.nTitle = nil, 0, 0
	}
	for _, r := range a.rounded() {
		if r.w != 0 {
			d.fail("doc %s: a rounded term of weight %d", ds.id, r.w)
		}
	}
	a.soft = d.sparse()
	for i := range a.sig {
		a.sig[i] = d.u32()
	}
	a.day = int32(d.int())
	return ds
}

func readEvent(d *decoder, docs []*docState, stories *storyRefs, v *vocab) *eventState {
	ev := newEventState(d.str())
	ev.slot = int32(d.int())
	first, last := d.time(), d.time()
	sums := d.centroids()
	for range d.each(d.count()) {
		n := named{id: d.term(d.uint())}
		n.name, n.count = v.spelling(n.id, d.str()), int32(d.int())
		if k := len(ev.entities); k > 0 && ev.entities[k-1].id >= n.id {
			d.fail("event %s: names out of order", ev.id)
		}
		ev.entities = append(ev.entities, n)
	}
	for range d.each(d.count()) {
		ds := ordOf(d, docs)
		if ds == nil {
			continue
		}
		if ds.event != nil {
			d.fail("doc %s is in two events", ds.id)
		}
		ds.event = ev
		ev.members = append(ev.members, ds)
		if ev.earliest == nil || ds.published.Before(ev.first()) {
			ev.earliest = ds
		}
		if ev.latest == nil || ds.published.After(ev.last()) {
			ev.latest = ds
		}
	}
	if !ev.first().Equal(first) || !ev.last().Equal(last) {
		d.fail("event %s: its span is not its members'", ev.id)
	}
	ev.firstMS, ev.lastMS = first.UnixMilli(), last.UnixMilli()
	if n := d.count(); n > 0 {
		ev.days = make(map[int]int, capped(n))
		for range d.each(n) {
			day := int(d.int())
			ev.days[day] = int(d.int())
		}
	}
	if len(ev.members) > 1 || len(sums.terms) > 0 {
		ev.sums = new(centroids)
		*ev.sums = sums
	}
	ev.story = stories.ref(d)
	return ev
}

func (st *storyline) read(d *decoder, evs []*eventState) {
	st.posted = newPosted(d.str())
	st.slot = int32(d.int())
	st.firstMS, st.lastMS = d.int(), d.int()
	st.docs = int(d.int())
	own := d.centroids()
	for range d.each(d.count()) {
		ev := refTo(d, evs)
		if ev == nil {
			continue
		}
		if ev.story != st {
			d.fail("event %s is listed in storyline %s, not its own", ev.id, st.id)
		}
		st.events = append(st.events, ev)
	}
	if len(st.events) > 1 || len(own.terms) > 0 {
		st.own = new(centroids)
		*st.own = own
	}
}
