package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"herald/events"
	"herald/metrics"
	"herald/store"
)

// deduper is the thin shell around the pure deduplicator: it feeds it the
// items no event holds yet and stores its decisions. It keeps the clusterer
// between poll passes; after a restart (or a failed save) it rebuilds it
// from the stored decisions, which gives the same events as before.
type deduper struct {
	store  *store.Store
	log    *slog.Logger
	window time.Duration
	c      *events.Clusterer // nil until restored
	batch  int               // docs per transaction; 0 means batchSize

	metrics *metrics.Metrics // nil records nothing
}

// batchSize bounds one transaction of decisions. After the store failed to
// write one, the next are smaller (down to minBatch), so that clustering
// catches up in what space there is; each success doubles it again.
const (
	batchSize = 2000
	minBatch  = 50
)

// placeNew clusters every unplaced item and returns how many it placed.
func (d *deduper) placeNew(ctx context.Context) (int, error) {
	if d.c == nil {
		if err := d.restore(ctx); err != nil {
			return 0, err
		}
	}
	placed := 0
	for {
		docs, err := d.store.UnclusteredDocs(ctx, cmp.Or(d.batch, batchSize))
		if err != nil || len(docs) == 0 {
			return placed, err
		}
		if err := d.placeBatch(ctx, docs); err != nil {
			d.c = nil // the clusterer saw decisions the store did not keep
			if store.IsStorageFailure(err) {
				d.batch = max(cmp.Or(d.batch, batchSize)/2, minBatch)
			}
			return placed, err
		}
		d.batch = min(2*cmp.Or(d.batch, batchSize), batchSize)
		placed += len(docs)
	}
}

func (d *deduper) placeBatch(ctx context.Context, docs []events.Doc) error {
	start := time.Now()
	as := make([]events.Assignment, 0, len(docs))
	touched := map[string]bool{}
	for _, doc := range docs {
		a := d.c.Add(doc)
		as = append(as, a)
		touched[a.EventID] = true
	}
	cl := store.Clustering{Assignments: as, Related: map[string][]events.Relation{}}
	stories := map[string]bool{}
	for id := range touched {
		ev, ok := d.c.Event(id)
		if !ok {
			continue
		}
		cl.Events = append(cl.Events, ev)
		cl.Related[ev.ID] = d.c.Related(ev.ID)
		if stories[ev.Storyline] {
			continue
		}
		stories[ev.Storyline] = true
		if st, ok := d.c.Storyline(ev.Storyline); ok {
			cl.Storylines = append(cl.Storylines, st)
		}
	}
	if err := d.store.SaveClustering(ctx, cl); err != nil {
		return fmt.Errorf("save clustering: %w", err)
	}
	recordClustering(d.metrics, as, start)
	d.c.Evict(docs[len(docs)-1].Published.Add(-d.window))
	d.log.Info("clustered", "items", len(docs), "events_touched", len(cl.Events), "storylines_touched", len(cl.Storylines),
		"duration_ms", time.Since(start).Milliseconds())
	return nil
}

// restore rebuilds the clusterer from the decisions stored for the last
// window of items.
func (d *deduper) restore(ctx context.Context) error {
	opts := events.DefaultOptions()
	opts.Window = d.window
	c := events.New(opts)
	latest, err := d.store.LatestPlaced(ctx)
	if err != nil {
		return err
	}
	docs, err := d.store.ClusteredDocsSince(ctx, latest.Add(-d.window))
	if err != nil {
		return err
	}
	for _, cd := range docs {
		c.Restore(cd.Doc, cd.EventID, cd.StorylineID)
	}
	d.c = c
	return nil
}

// clusterNew runs one deduplication pass with a fresh shell: for commands
// that run once (herald poll).
func clusterNew(ctx context.Context, cfg *Config, st *store.Store, log *slog.Logger) (int, error) {
	d := &deduper{store: st, log: log, window: time.Duration(cfg.Poll.ClusterWin)}
	return d.placeNew(ctx)
}
