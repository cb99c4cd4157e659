package rank

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"herald/events"
)

var t0 = time.Date(2020, 5, 2, 12, 0, 0, 0, time.UTC)

// event makes an event of storyline story with one report from each of
// pubs (a publisher named twice reports twice), an hour apart, the last
// one age before t0.
func event(id, story string, age time.Duration, pubs ...string) events.Event {
	ev := events.Event{ID: id, Storyline: story, Headline: "Headline of " + id, Size: len(pubs),
		FirstSeen: t0.Add(-age - time.Duration(len(pubs)-1)*time.Hour), LastUpdated: t0.Add(-age)}
	for i, p := range pubs {
		ev.Sources = append(ev.Sources, events.Source{DocID: fmt.Sprint(id, i), Publisher: p,
			URL: fmt.Sprintf("https://%s.example/%s/%d", p, id, i), Published: ev.FirstSeen.Add(time.Duration(i) * time.Hour)})
	}
	return ev
}

func ids(evs []events.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

// Most reported: independent publishers first, then reports, then the
// latest update, then the id.
func TestEventsRankMostReportedFirst(t *testing.T) {
	evs := []events.Event{
		event("copies", "", 0, "a", "a", "a", "a"),     // 1 publisher, 4 reports
		event("three", "", 5*time.Hour, "a", "b", "c"), // 3 publishers
		event("two-more", "", 0, "a", "b", "b"),        // 2 publishers, 3 reports
		event("two-old", "", 9*time.Hour, "a", "b"),    // 2 publishers, 2 reports, older
		event("two-new", "", time.Hour, "a", "b"),      // the same, newer
		event("two-tie", "", time.Hour, "c", "d"),      // the same again: by id
	}
	Events(evs)
	want := []string{"three", "two-more", "two-new", "two-tie", "two-old", "copies"}
	if got := ids(evs); !slices.Equal(got, want) {
		t.Errorf("ranked %v, want %v", got, want)
	}
}

func TestIndependentSources(t *testing.T) {
	ev := event("e", "", 0, "Wire", "wire", "Other", "")
	ev.Sources[3].URL = "https://www.site.example/x" // no publisher: counted by host
	ev.Sources = append(ev.Sources, events.Source{Publisher: "Copier", Duplicate: true})
	if n := Independent(ev); n != 3 {
		t.Errorf("independent sources %d, want 3 (Wire, Other, site.example; the copy left out)", n)
	}
	allCopies := events.Event{Sources: []events.Source{{Publisher: "A", Duplicate: true}}}
	if n := Independent(allCopies); n != 1 {
		t.Errorf("an event of copies counts %d, want 1", n)
	}
}

// A storyline's events of the list are one thread, ranked once by what
// they add up to; within it they read oldest first.
func TestThreadsGroupAndRankOnce(t *testing.T) {
	evs := []events.Event{
		event("big", "sl-other", 0, "a", "b", "c", "d"),      // 4 publishers alone
		event("floyd-1", "sl-floyd", 30*time.Hour, "a", "b"), // 2 + 2 + 1 = 5 together
		event("floyd-3", "sl-floyd", 0, "c"),
		event("floyd-2", "sl-floyd", 10*time.Hour, "c", "d"),
		event("lone", "", 2*time.Hour, "a", "b", "c", "d"), // no storyline: a thread of its own
		event("small", "sl-small", 0, "a"),
	}
	threads := Threads(evs)
	var got []string
	for _, th := range threads {
		got = append(got, fmt.Sprintf("%s%v", th.Storyline, ids(th.Events)))
	}
	want := []string{"sl-floyd[floyd-1 floyd-2 floyd-3]", "sl-other[big]", "[lone]", "sl-small[small]"}
	if !slices.Equal(got, want) {
		t.Fatalf("threads:\n got %v\nwant %v", got, want)
	}
	w := threads[0].Weight
	if w.Publishers != 5 || w.Reports != 5 || !w.Updated.Equal(t0) || w.ID != "sl-floyd" {
		t.Errorf("thread weight %+v, want 5 sources, 5 reports, updated at the latest event, the storyline's id", w)
	}
	if lone := threads[2].Weight; lone.ID != "lone" || Compare(lone, Of(evs[4])) != 0 {
		t.Errorf("a lone event's thread weighs %+v, want the event's own weight", lone)
	}
}

// Each publisher is linked by the report the deduplicator marked, not by
// its first one; without a mark, its latest report that is not a copy;
// never by a link that is not http(s).
func TestPublishersLinkTheMarkedReport(t *testing.T) {
	ev := event("kim", "", 0, "CNN", "BBC", "CNN", "CNN", "BBC", "Evil")
	ev.Sources[3].Link = true                 // CNN's marked report: its second-latest...
	ev.Sources[4].Duplicate = true            // BBC's latest is a near copy
	ev.Sources[5].URL = "javascript:alert(1)" // Evil has no web link
	ev.Sources = append(ev.Sources, events.Source{Publisher: "cnn", URL: "https://cnn.example/later", Published: t0.Add(time.Hour)})
	got := Publishers(ev)
	var urls []string
	for _, s := range got {
		urls = append(urls, s.Publisher+" "+s.URL)
	}
	want := []string{"CNN https://CNN.example/kim/3", "BBC https://BBC.example/kim/1", "Evil javascript:alert(1)"}
	if !slices.Equal(urls, want) {
		t.Errorf("publishers' links:\n got %v\nwant %v", urls, want)
	}
}

// A storyline of many small events weighs what its five most reported add
// up to: eight one-source events (5) rank below a six-source event, and a
// list shows those five.
func TestThreadWeightCountsItsBestFive(t *testing.T) {
	var evs []events.Event
	for i := range 8 {
		evs = append(evs, event(fmt.Sprint("covid-", i), "sl-covid", time.Duration(i)*time.Hour, "a"))
	}
	evs[6].Sources = append(evs[6].Sources, events.Source{Publisher: "b", URL: "https://b.example/6"})
	evs[6].Size = 2
	evs = append(evs, event("big", "sl-big", 0, "a", "b", "c", "d", "e", "f"))
	threads := Threads(evs)
	if threads[0].Storyline != "sl-big" || threads[1].Weight.Publishers != 6 || threads[1].Weight.Reports != 6 {
		t.Fatalf("threads %s (%+v), %s (%+v): want sl-big first, sl-covid weighing its best five (6 sources)",
			threads[0].Storyline, threads[0].Weight, threads[1].Storyline, threads[1].Weight)
	}
	best := ids(threads[1].Best(ThreadEvents))
	// covid-6 has two sources; among the rest, the most recent (smallest age) win.
	if want := []string{"covid-6", "covid-3", "covid-2", "covid-1", "covid-0"}; !slices.Equal(best, want) {
		t.Errorf("the thread's best five, oldest first: %v, want %v", best, want)
	}
}
