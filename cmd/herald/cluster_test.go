package main

import (
	"context"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"herald/events"
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
	docs, err := events.ReadDocs(f)
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

// `herald eval` scores a labeled set (with its related pairs when a
// .related.tsv lies beside it), writes predictions, and on a set without
// labels writes predictions and skips the scores.
func TestEvalCommand(t *testing.T) {
	dir := t.TempDir()
	lines := `{"id":"a1","title":"Volcano erupts on Iceland's Reykjanes peninsula","source":"A","published":"2026-11-20T08:00:00Z","event":"erupt"}
{"id":"a2","title":"Iceland volcano erupts on Reykjanes peninsula, lava flows","source":"B","published":"2026-11-20T09:00:00Z","event":"erupt"}
{"id":"b1","title":"Grindavik evacuated again as Reykjanes volcano threatens town","source":"A","published":"2026-11-20T10:00:00Z","event":"evac"}
`
	set := filepath.Join(dir, "set.jsonl")
	if err := os.WriteFile(set, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "set.related.tsv"), []byte("erupt\tevac\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pred := filepath.Join(dir, "pred.jsonl")
	out, err := herald(t, context.Background(), "eval", set, "--pred", pred)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3 items", "B-cubed", "pairwise", "related", "of 1 gold pairs"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	if b, err := os.ReadFile(pred); err != nil || strings.Count(string(b), "\n") != 3 {
		t.Errorf("predictions: %q, %v", b, err)
	}

	unlabeled := filepath.Join(dir, "unlabeled.jsonl")
	if err := os.WriteFile(unlabeled, []byte(strings.ReplaceAll(lines, `,"event":"erupt"`, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = herald(t, context.Background(), "eval", unlabeled, "--pred", pred)
	if err != nil || !strings.Contains(out, "scores skipped") || strings.Contains(out, "B-cubed") {
		t.Errorf("unlabeled set: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(pred); strings.Count(string(b), "\n") != 3 {
		t.Errorf("unlabeled predictions: %q", b)
	}

	out, err = herald(t, context.Background(), "eval", set, "--pred", pred, "--grain", "storyline")
	if b, _ := os.ReadFile(pred); err != nil || strings.Count(string(b), `"cluster":"sl-`) != 3 || !strings.Contains(out, "storylines") {
		t.Errorf("storyline grain: %v\n%s\n%s", err, out, b)
	}
	if _, err := herald(t, context.Background(), "eval", set, "--grain", "topic"); err == nil || !strings.Contains(err.Error(), "event or storyline") {
		t.Errorf("--grain topic: %v, want an error naming the grains", err)
	}
}

// herald eval fit and cv run end to end on small cuts of the labeled sets:
// fit writes a Go file that parses, cv prints a row per fold.
func TestEvalFitAndCrossValidate(t *testing.T) {
	src := filepath.Join("..", "..", "..", "shared", "data", "clustering")
	if _, err := os.Stat(src); os.IsNotExist(err) {
		t.Skipf("labeled sets not found in %s (shared data is not checked out here)", src)
	}
	dir := t.TempDir()
	for _, name := range []string{"headlines-2020-dev", "headlines-2020a-train", "headlines-2020b-train", "uci-newsagg-head-dev", "googlenews-ts-dev"} {
		b, err := os.ReadFile(filepath.Join(src, name+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(b), "\n")
		cut := strings.Join(lines[:min(len(lines), 50)], "")
		if err := os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(cut), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "fitted.go")
	if msg, err := herald(t, context.Background(), "eval", "fit", "--dir", dir, "--out", out); err != nil || !strings.Contains(msg, "wrote") {
		t.Fatalf("eval fit: %v\n%s", err, msg)
	}
	src2, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.ParseFile(token.NewFileSet(), out, src2, 0); err != nil || !strings.Contains(string(src2), "var fitted = fittedFile{") ||
		!strings.Contains(string(src2), `Code generated by "herald eval fit"`) {
		t.Errorf("fitted file: %v\n%s", err, src2)
	}
	table, err := herald(t, context.Background(), "eval", "cv", "--dir", dir)
	if err != nil || strings.Count(table, "\n| ") != 8 { // the header's rule and 7 folds
		t.Errorf("eval cv: %v\n%s", err, table)
	}
}
