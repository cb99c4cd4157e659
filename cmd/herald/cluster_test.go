package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"herald/events"
	"herald/events/eval"
	"herald/feeds"
	"herald/store"
)

const devSet = "../../../shared/data/clustering/headlines-2020-dev.jsonl"

// loadDev stores the headlines dev set as items, one feed per publisher,
// in two halves by publication time.
func loadDev(t *testing.T) (first, second map[string][]feeds.Item) {
	f, err := os.Open(devSet)
	if os.IsNotExist(err) {
		t.Skipf("skipping: %s is absent (the shared data sets live beside the repo)", devSet)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, err := eval.ReadDocs(f)
	if err != nil {
		t.Fatal(err)
	}
	sort.SliceStable(docs, func(i, j int) bool { return docs[i].Published.Before(docs[j].Published) })
	first, second = map[string][]feeds.Item{}, map[string][]feeds.Item{}
	for i, d := range docs {
		it := feeds.Item{GUID: d.ID, URL: d.URL + "#" + d.ID, Title: d.Title, Text: d.Summary,
			Source: d.Source, Published: d.Published, Hash: d.ID}
		half := first
		if i >= len(docs)/2 {
			half = second
		}
		half[d.Source] = append(half[d.Source], it)
	}
	return first, second
}

func saveAll(t *testing.T, st *store.Store, byFeed map[string][]feeds.Item) {
	ctx := context.Background()
	var srcs []string
	for src := range byFeed {
		srcs = append(srcs, src)
	}
	sort.Strings(srcs) // the same item ids in every store
	for _, src := range srcs {
		items := byFeed[src]
		f, err := st.AddFeed(ctx, store.FeedSpec{URL: "http://feeds.example/" + slug(src), Topic: "news"}, store.OriginCLI, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SavePoll(ctx, f, items, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func slug(s string) string { return filepath.Base(filepath.Clean("/" + s)) }

// placements reads which event holds each item, by item URL.
func placements(t *testing.T, st *store.Store) map[string]string {
	out := map[string]string{}
	err := st.PlacedDocsSince(context.Background(), time.Time{}, func(d events.PlacedDoc) { out[d.Doc.URL] = d.EventID })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A daemon restarted between two poll passes places items exactly as one
// that ran through: the deduplicator's state is rebuilt from the store.
func TestClusteringSurvivesRestart(t *testing.T) {
	first, second := loadDev(t)
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *store.Store {
		st, err := store.Open(ctx, filepath.Join(t.TempDir(), "h.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}

	straight := open()
	d := newPlacer(straight, quiet, 72*time.Hour)
	saveAll(t, straight, first)
	if _, err := d.Place(ctx); err != nil {
		t.Fatal(err)
	}
	saveAll(t, straight, second)
	if _, err := d.Place(ctx); err != nil {
		t.Fatal(err)
	}

	restarted := open()
	saveAll(t, restarted, first)
	if _, err := newPlacer(restarted, quiet, 72*time.Hour).Place(ctx); err != nil {
		t.Fatal(err)
	}
	saveAll(t, restarted, second) // a new process: a new placer restores from the store
	if _, err := newPlacer(restarted, quiet, 72*time.Hour).Place(ctx); err != nil {
		t.Fatal(err)
	}

	a, b := placements(t, straight), placements(t, restarted)
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		diff := 0
		for k := range a {
			if a[k] != b[k] {
				diff++
			}
		}
		t.Fatalf("%d of %d items placed differently after a restart", diff, len(a))
	}
	evs, _, _ := straight.EventCounts(ctx)
	t.Logf("%d items in %d events, identical with and without a restart", len(a), evs)
}
