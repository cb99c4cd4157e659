package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"herald/events"
	"herald/feeds"
)

// TestStorylinesReadBack stores three events in two storylines, folds one
// storyline into the other, and reads them back the way the pages do.
func TestStorylinesReadBack(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := addFeedA(t, s)
	var items []feeds.Item
	for i, title := range []string{"Protests spread", "Troops threatened", "Autopsy released"} {
		it := item(title, "http://a.example/"+title, title)
		it.Published = t0.Add(time.Duration(i) * 24 * time.Hour)
		items = append(items, it)
	}
	if _, err := s.SavePoll(ctx, f, items, t0); err != nil {
		t.Fatal(err)
	}
	docs, err := s.UnclusteredDocs(ctx, 10)
	if err != nil || len(docs) != 3 {
		t.Fatalf("unclustered: %d, %v", len(docs), err)
	}
	evs := make([]events.Event, 3)
	as := make([]events.Assignment, 3)
	for i, d := range docs {
		evs[i] = events.Event{ID: "ev-" + d.ID, Headline: d.Title, FirstSeen: d.Published, LastUpdated: d.Published,
			Size: 1, Topics: []string{"world"}, Storyline: "sl-floyd"}
		as[i] = events.Assignment{DocID: d.ID, EventID: evs[i].ID, StorylineID: "sl-floyd"}
	}
	evs[2].Storyline, as[2].StorylineID = "sl-autopsy", "sl-autopsy" // opened apart at first
	// The deduplicator's record counts only what it holds: here one event.
	recs := []events.Storyline{{ID: "sl-floyd", Name: "George Floyd · protests", Events: []string{evs[1].ID}, Size: 1,
		Entities: []string{"George Floyd", "Minneapolis"}}, {ID: "sl-autopsy", Name: "autopsy"}}
	if err := s.SaveClustering(ctx, events.Clustering{Assignments: as, Events: evs, Storylines: recs}); err != nil {
		t.Fatal(err)
	}

	st, held, err := s.Storyline(ctx, "sl-floyd")
	if err != nil {
		t.Fatal(err)
	}
	if st.Name != "George Floyd · protests" || !slices.Equal(st.Events, []string{evs[0].ID, evs[1].ID}) || st.Size != 2 ||
		!st.FirstSeen.Equal(t0) || !st.LastUpdated.Equal(t0.Add(24*time.Hour)) || len(st.Entities) != 2 {
		t.Errorf("storyline record: %+v", st)
	}
	if len(held) != 2 || held[0].Headline != "Protests spread" || len(held[1].Sources) != 1 {
		t.Errorf("storyline events, oldest first with their sources: %+v", held)
	}

	// The autopsy turns out to be part of the protests' thread.
	more := item("x", "http://a.example/x", "Autopsy: homicide")
	more.Published = t0.Add(3 * 24 * time.Hour)
	if _, err := s.SavePoll(ctx, f, []feeds.Item{more}, t0); err != nil {
		t.Fatal(err)
	}
	docs, _ = s.UnclusteredDocs(ctx, 10)
	evs[2].Size, evs[2].Storyline = 2, "sl-floyd"
	fold := events.Clustering{Assignments: []events.Assignment{{DocID: docs[0].ID, EventID: evs[2].ID, StorylineID: "sl-floyd",
		MergedStorylines: []string{"sl-autopsy"}}}, Events: evs[2:]}
	if err := s.SaveClustering(ctx, fold); err != nil {
		t.Fatal(err)
	}
	st, held, err = s.Storyline(ctx, "sl-autopsy")
	if err != nil || st.ID != "sl-floyd" || len(held) != 3 || st.Size != 4 {
		t.Fatalf("folded storyline's old id: %+v, %d events, %v; want sl-floyd with 3 events, 4 reports", st, len(held), err)
	}
	if _, _, err := s.Storyline(ctx, "sl-nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing storyline: %v, want ErrNotFound", err)
	}

	got, err := s.Storylines(ctx, []string{"sl-floyd", "sl-autopsy", "sl-nope"})
	if err != nil || len(got) != 1 || len(got["sl-floyd"].Events) != 3 {
		t.Errorf("storylines by id: %+v, %v; want sl-floyd only (the others hold no event)", got, err)
	}
}
