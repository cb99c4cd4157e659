package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
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
		it := feeds.Item{GUID: d.ID, URL: "https://labeled.example/" + url.PathEscape(d.ID), Title: d.Title, Text: d.Summary,
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

// placements reads which event holds each item, by its source, title and
// time (a placed doc carries no URL); two items alike in all three fail
// the test rather than hide one another.
func placements(t *testing.T, st *store.Store) map[string]string {
	out := map[string]string{}
	n := 0
	err := st.PlacedDocsSince(context.Background(), time.Time{}, func(d events.PlacedDoc) {
		out[fmt.Sprint(d.Doc.Source, "\x00", d.Doc.Title, "\x00", d.Doc.Published.UnixMilli())] = d.EventID
		n++
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != n {
		t.Fatalf("%d placed items, %d told apart by source, title and time", n, len(out))
	}
	return out
}

// A daemon restarted between two poll passes places items exactly as one
// that ran through, whether the deduplicator's state is rebuilt from the
// store or read back from the snapshot the first run saved at its end.
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
	want := placements(t, straight)

	for _, from := range []string{"store", "snapshot"} {
		t.Run(from, func(t *testing.T) {
			restarted := open()
			saveAll(t, restarted, first)
			p := newPlacer(restarted, quiet, 72*time.Hour)
			if _, err := p.Place(ctx); err != nil {
				t.Fatal(err)
			}
			if from == "snapshot" {
				saveClustering(ctx, p, quiet) // as herald poll and the daemon do when they end
			}
			saveAll(t, restarted, second) // a new process: a new placer restores its state
			var log bytes.Buffer
			p = newPlacer(restarted, slog.New(slog.NewTextHandler(&log, nil)), 72*time.Hour)
			if _, err := p.Place(ctx); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "from="+from) {
				t.Fatalf("the restarted placer did not restore from the %s:\n%s", from, log.String())
			}
			got := placements(t, restarted)
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				diff := 0
				for k := range want {
					if want[k] != got[k] {
						diff++
					}
				}
				t.Fatalf("%d of %d items placed differently after a restart", diff, len(want))
			}
			evs, _, _ := restarted.EventCounts(ctx)
			t.Logf("%d items in %d events, identical with and without a restart", len(got), evs)
		})
	}
}

// A daemon that placed items saves the clusterer's snapshot when it stops,
// after its last placement, so that the next start reads it back.
func TestDaemonSavesClusteringAtShutdown(t *testing.T) {
	srv, _ := testFeed(t)
	cfg := writeConfig(t, "127.0.0.1:0", srv.URL+"/a.rss", srv.URL+"/b.rss")
	ctx, stop := context.WithCancel(context.Background())
	out := make(chan string, 1)
	go func() { s, _ := herald(t, ctx, "--config", cfg, "run"); out <- s }()
	st, err := store.Open(context.Background(), filepath.Join(filepath.Dir(cfg), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for end := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if _, placed, _ := st.EventCounts(context.Background()); placed == 2 {
			break
		}
		if time.Now().After(end) {
			stop()
			t.Fatalf("the daemon placed nothing in a minute:\n%s", <-out)
		}
	}
	stop()
	log := <-out
	if !strings.Contains(log, `msg="saved clustering snapshot" items=2`) {
		t.Fatalf("no snapshot saved at shutdown:\n%s", log)
	}
	opts := events.DefaultOptions()
	opts.Window = 72 * time.Hour
	found, err := st.LoadSnapshot(context.Background(), events.SnapshotKey(opts, buildID()), func(int64, io.Reader) error { return nil })
	if err != nil || !found {
		t.Fatalf("stored snapshot: found %v, %v", found, err)
	}
}

// herald poll saves the clusterer when it ends; the next poll with new
// items resumes from it.
func TestPollSavesClustering(t *testing.T) {
	srv, _ := testFeed(t)
	cfg := writeConfig(t, "127.0.0.1:0", srv.URL+"/a.rss")
	out, err := herald(t, context.Background(), "--config", cfg, "poll", "--all")
	if err != nil || !strings.Contains(out, `msg="saved clustering snapshot" items=1`) {
		t.Fatalf("first poll: %v\n%s", err, out)
	}
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := "- url: " + srv.URL + "/a.rss\n"
	more := strings.Replace(string(text), a, a+"      "+strings.Replace(a, "/a.rss", "/b.rss", 1), 1)
	if err := os.WriteFile(cfg, []byte(more), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = herald(t, context.Background(), "--config", cfg, "poll", "--all")
	if err != nil || !strings.Contains(out, `msg="restored clustering" items=1 from=snapshot replayed=0`) {
		t.Fatalf("second poll did not resume from the snapshot: %v\n%s", err, out)
	}
}
