package events

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEventRecord(t *testing.T) {
	t0 := time.Date(2020, 4, 29, 10, 0, 0, 0, time.UTC)
	c := New(DefaultOptions())
	// Teach the clusterer the channel's blurb first.
	for _, d := range channelDocs()[:4] {
		c.Add(d)
	}
	docs := []Doc{
		{ID: "d1", Source: "News Channel", Title: "Live: what we know so far", Summary: "Snow is falling across the region. Subscribe to our channel for the latest news and analysis from around the world.", Published: t0.Add(2 * time.Hour), Topics: []string{"weather"}},
		{ID: "d2", Source: "Daily", Title: "Storm closes schools across the region", Summary: "Heavy snow shut schools in the region on Wednesday.", Published: t0, Topics: []string{"weather", "education"}},
		{ID: "d3", Source: "Courier", Title: "Storm closes schools and roads across the region", Summary: "Heavy snow shut schools and roads in the region.", Published: t0.Add(time.Hour)},
	}
	for _, d := range docs {
		c.Restore(d, "ev-storm", "")
	}
	ev, ok := c.Event("ev-storm")
	if !ok {
		t.Fatal("event not found")
	}
	if ev.Size != 3 || !ev.FirstSeen.Equal(t0) || !ev.LastUpdated.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("size/times: %+v", ev)
	}
	headline := ""
	for _, d := range docs {
		if d.ID == ev.HeadlineDoc {
			headline = d.Title
		}
	}
	if headline == docs[0].Title || !strings.Contains(headline, "Storm closes schools") {
		t.Errorf("headline doc %q (%q): want the most central title, not the first or an outlier", ev.HeadlineDoc, headline)
	}
	// A doc's lead, its event's summary while it gives the headline, goes
	// out with its assignment, without the channel's blurb.
	lead := c.Add(Doc{ID: "d4", Source: "News Channel", Title: "Snow: roads closed in the north",
		Summary:   "Roads are closed in the north. Subscribe to our channel for the latest news and analysis from around the world.",
		Published: t0.Add(3 * time.Hour)}).Lead
	if lead != "Roads are closed in the north." {
		t.Errorf("lead %q: want the description without the channel blurb", lead)
	}
	if ids := []string{ev.Sources[0].DocID, ev.Sources[1].DocID, ev.Sources[2].DocID}; ids[0] != "d2" || ids[2] != "d1" {
		t.Errorf("sources not in time order: %v", ids)
	}
	if len(ev.Topics) != 2 {
		t.Errorf("topics = %v", ev.Topics)
	}
	if _, ok := c.Event("ev-unknown"); ok {
		t.Error("unknown event found")
	}
}

// Eviction forgets old events and their docs, so that memory stays
// bounded, without changing decisions about recent docs.
func TestEvict(t *testing.T) {
	g := newGenerator(7)
	c := New(DefaultOptions())
	for range 3000 {
		c.Add(g.next())
	}
	held := len(c.docs)
	last := g.t
	cut := last.Add(-3 * time.Hour)
	c.Evict(cut)
	if len(c.docs) >= held || len(c.docs) == 0 {
		t.Fatalf("evict kept %d of %d docs", len(c.docs), held)
	}
	for _, ev := range c.events {
		if ev.last().Before(cut) {
			t.Fatalf("event %s last updated %v survived", ev.id, ev.last())
		}
		for _, m := range ev.members {
			if c.docs[m.id] != m {
				t.Fatalf("doc %s of a live event forgotten", m.id)
			}
		}
	}
	for _, p := range c.index.postings {
		for _, n := range p {
			if ev := c.index.events[n]; ev != nil && c.events[ev.id] != ev && !c.index.slots[n].gone {
				t.Fatalf("index lists evicted event %s as live", ev.id)
			}
		}
	}
	c.Evict(last.Add(time.Hour))
	if len(c.docs) != 0 || len(c.events) != 0 || len(c.index.postings) != 0 || c.index.lists() != 0 || len(c.dups.buckets) != 0 {
		t.Errorf("evicting everything left %d docs, %d events, %d postings, %d buckets",
			len(c.docs), len(c.events), len(c.index.postings), len(c.dups.buckets))
	}
	if len(c.vocab.ids) != 0 || c.vocab.n != 0 || slices.ContainsFunc(c.vocab.df, func(n uint32) bool { return n != 0 }) {
		t.Errorf("evicting everything left %d terms counted over %d docs", len(c.vocab.ids), c.vocab.n)
	}
	if a := c.Add(g.next()); !a.NewEvent {
		t.Errorf("after evicting everything, a doc joined %s", a.EventID)
	}
}

// Related links live events only: evicted and merged-away events linger in
// the index until a compaction, and must not be offered.
func TestRelatedSkipsGoneEvents(t *testing.T) {
	g := newGenerator(11)
	c := New(DefaultOptions())
	for range 3000 {
		c.Add(g.next())
	}
	c.Evict(g.t.Add(-3 * time.Hour))
	checked := 0
	for id := range c.events {
		for _, r := range c.Related(id) {
			checked++
			if c.events[r.EventID] == nil {
				t.Fatalf("event %s is related to %s, which is gone", id, r.EventID)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relation was offered at all: the test checks nothing")
	}
}

// On an endless stream the vocabulary stays the size of the window's: a
// forgotten term's id goes to the next new term instead of the tables
// growing by one entry per word that comes back after a lull.
func TestVocabularyStaysFlat(t *testing.T) {
	g := newGenerator(11)
	c := New(Options{Window: 6 * time.Hour}) // 2,500 docs of the synthetic stream
	feed := func(n int) {
		for i := range n {
			d := g.next()
			c.Add(d)
			if i%500 == 499 {
				c.Evict(d.Published.Add(-c.opts.Window))
			}
		}
	}
	feed(8000)
	size, live := len(c.vocab.df), len(c.vocab.ids)
	feed(8000)
	if grown := len(c.vocab.df) - size; grown > live/10 {
		t.Errorf("the term tables grew by %d entries over 8,000 more docs (to %d; %d terms live)", grown, len(c.vocab.df), len(c.vocab.ids))
	}
	if c.index.lists() > len(c.vocab.ids) {
		t.Errorf("%d terms have index lists, only %d terms are live", c.index.lists(), len(c.vocab.ids))
	}
}
