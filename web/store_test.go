package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
	"herald/store"
)

// now is the tests' clock: an evening, so that "today" has events.
var now = time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)

var testTopics = []Topic{{Name: "world", Title: "World news"}, {Name: "tech", Title: "Technology"}}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seed stores evs the way the daemon does: each source as an item of a
// feed of the event's first topic, placed in its event by SaveClustering.
// Every source needs a distinct URL.
func seed(t testing.TB, st *store.Store, evs []events.Event, rels map[string][]events.Relation) {
	t.Helper()
	ctx := context.Background()
	byTopic := map[string][]feeds.Item{}
	eventOf := map[string]string{} // sourceKey -> event id
	for _, ev := range evs {
		for _, src := range ev.Sources {
			byTopic[ev.Topics[0]] = append(byTopic[ev.Topics[0]], feeds.Item{GUID: src.URL, URL: src.URL,
				Title: src.Title, Source: src.Publisher, Published: src.Published, Hash: src.URL + src.Title})
			k := sourceKey(src.Publisher, src.Title, src.Published)
			if _, dup := eventOf[k]; dup {
				t.Fatalf("two sources are %q: seed tells items apart by publisher, title and time", k)
			}
			eventOf[k] = ev.ID
		}
	}
	total := 0
	for topic, items := range byTopic {
		f, err := st.AddFeed(ctx, store.FeedSpec{URL: "http://feeds.example/" + topic, Title: "Wire", Topic: topic}, store.OriginCLI, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SavePoll(ctx, f, items, now); err != nil {
			t.Fatal(err)
		}
		total += len(items)
	}
	docs, err := st.UnclusteredDocs(ctx, total)
	if err != nil || len(docs) != total {
		t.Fatalf("unclustered docs: %d of %d, %v", len(docs), total, err)
	}
	as := make([]events.Assignment, len(docs))
	for i, d := range docs {
		as[i] = events.Assignment{DocID: d.ID, EventID: eventOf[sourceKey(d.Source, d.Title, d.Published)]}
	}
	if err := st.SaveClustering(ctx, events.Clustering{Assignments: as, Events: evs, Related: rels}); err != nil {
		t.Fatal(err)
	}
}

// sourceKey tells a seeded source apart from the others (a doc read back
// from the store carries no URL).
func sourceKey(publisher, title string, published time.Time) string {
	return fmt.Sprint(publisher, "\x00", title, "\x00", published.UnixMilli())
}

// name saves storyline records (their names and names involved) as the
// deduplicator does.
func name(t testing.TB, st *store.Store, recs ...events.Storyline) {
	t.Helper()
	if err := st.SaveClustering(context.Background(), events.Clustering{Storylines: recs}); err != nil {
		t.Fatal(err)
	}
}

// event makes a fixture event in topic with n sources an hour apart,
// the first at first.
func event(id, topic, headline string, first time.Time, n int) events.Event {
	ev := events.Event{ID: id, Headline: headline, Summary: "Summary of " + headline, FirstSeen: first,
		LastUpdated: first.Add(time.Duration(n-1) * time.Hour), Size: n, Topics: []string{topic},
		Entities: []string{"North Korea", "United States"}}
	for i := range n {
		ev.Sources = append(ev.Sources, events.Source{Publisher: fmt.Sprintf("Publisher %d", i+1),
			Title: fmt.Sprintf("%s (report %d)", headline, i+1), URL: fmt.Sprintf("https://news%d.example/%s", i+1, id),
			Published: first.Add(time.Duration(i) * time.Hour)})
	}
	return ev
}

// fixture is three days of events in two topics, two of them related and
// of one storyline.
func fixture(t testing.TB) (*store.Store, []events.Event) {
	st := openStore(t)
	evs := []events.Event{
		event("ev-talks", "world", "North and South Korea agree to seek talks to end the war", now.Add(-8*time.Hour), 3),
		event("ev-summit", "world", "US and North Korean officials to meet within a week", now.AddDate(0, 0, -1), 2),
		event("ev-chip", "tech", "Chip maker opens a new plant", now.AddDate(0, 0, -2), 1),
	}
	evs[0].Storyline, evs[1].Storyline, evs[2].Storyline = "sl-korea", "sl-korea", "sl-chip"
	rels := map[string][]events.Relation{
		"ev-talks":  {{EventID: "ev-summit", Shared: []string{"North Korea", "United States"}}},
		"ev-summit": {{EventID: "ev-talks", Shared: []string{"North Korea", "United States"}}},
	}
	seed(t, st, evs, rels)
	name(t, st, events.Storyline{ID: "sl-korea", Name: "Korean War · talks", Entities: []string{"North Korea", "United States"}},
		events.Storyline{ID: "sl-chip", Name: "chip plant"})
	return st, evs
}

// serve starts Herald's handler on a loopback server.
func serve(t testing.TB, st *store.Store, opt Options) *httptest.Server {
	t.Helper()
	if opt.Topics == nil {
		opt.Topics = testTopics
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return now }
	}
	srv := httptest.NewServer(New(st, opt))
	t.Cleanup(srv.Close)
	return srv
}

func feedsItem(url, title, publisher string, published time.Time) []feeds.Item {
	return []feeds.Item{{GUID: url, URL: url, Title: title, Source: publisher, Published: published, Hash: url + title}}
}
