package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"herald/config"
	"herald/events"
	"herald/feeds"
	"herald/store"
)

// The poller does not store items older than the retention period, and
// the daemon's prune job deletes the events the period has passed.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "herald.db"))
	now := time.Now()
	f, err := st.AddFeed(ctx, store.FeedSpec{URL: "http://a.example/rss", Topic: "world"}, store.OriginCLI, now)
	if err != nil {
		t.Fatal(err)
	}
	at := func(guid string, t time.Time) feeds.Item {
		return feeds.Item{GUID: guid, URL: "http://a.example/" + guid, Title: guid, Published: t, Hash: guid}
	}
	keep := 30 * 24 * time.Hour
	old, fresh := at("old", now.Add(-40*24*time.Hour)), at("fresh", now.Add(-time.Hour))
	saved, err := store.Retaining{Store: st, Keep: keep}.SavePoll(ctx, f, []feeds.Item{old, fresh}, now)
	if err != nil || saved.New != 1 || saved.Skipped != 1 {
		t.Fatalf("save through the retention filter: %+v, %v; want 1 new, 1 skipped", saved, err)
	}

	// An event stored before the period began (say, under a longer retention).
	if _, err := st.SavePoll(ctx, f, []feeds.Item{old}, now); err != nil {
		t.Fatal(err)
	}
	docs, _ := st.UnclusteredDocs(ctx, 10)
	var as []events.Assignment
	var evs []events.Event
	for _, d := range docs {
		ev := events.Event{ID: "ev-" + d.Title, Headline: d.Title, FirstSeen: d.Published, LastUpdated: d.Published, Size: 1}
		as, evs = append(as, events.Assignment{DocID: d.ID, EventID: ev.ID}), append(evs, ev)
	}
	if err := st.SaveClustering(ctx, events.Clustering{Assignments: as, Events: evs}); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	d := &daemon{log: log, store: st, coord: store.NewCoordinator(st, log, time.Minute, now)}
	d.metrics = newMetrics(st, time.Hour, 0, log)
	d.live.Store(&live{cfg: &Config{Config: &config.Config{Retention: config.Duration(keep)}}})
	d.startPrune(ctx)
	d.jobs.Wait()
	// Each run logs what it removed and counts it in /metrics.
	if !strings.Contains(logs.String(), `msg="retention: pruned" retention=720h0m0s`) ||
		!strings.Contains(logs.String(), "events=1 items=1") {
		t.Errorf("retention log: %s", logs.String())
	}
	if got := testutil.ToFloat64(d.metrics.RetentionDeleted.WithLabelValues("items")); got != 1 {
		t.Errorf("herald_retention_deleted_total{kind=items} = %v, want 1", got)
	}
	if n, _ := st.CountItems(ctx); n != 1 {
		t.Errorf("%d items after the prune, want the fresh one", n)
	}
	if _, _, err := st.Event(ctx, "ev-old"); err == nil {
		t.Error("the event older than the retention period survived the prune")
	}
}
