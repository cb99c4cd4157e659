package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
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
	var evs []events.Event
	related := map[string][]store.Relation{}
	saved := map[string]bool{}
	for id := range touched {
		ev, ok := d.c.Event(id) // an id merged away resolves to the event it went into
		if !ok || saved[ev.ID] {
			continue
		}
		saved[ev.ID] = true
		evs = append(evs, ev)
		for _, r := range d.c.Related(ev.ID) {
			related[ev.ID] = append(related[ev.ID], store.Relation{EventID: r.EventID, Shared: r.Shared})
		}
	}
	if err := d.store.SaveClustering(ctx, as, evs, related); err != nil {
		return fmt.Errorf("save clustering: %w", err)
	}
	recordClustering(d.metrics, as, start)
	d.c.Evict(docs[len(docs)-1].Published.Add(-d.window))
	d.log.Info("clustered", "items", len(docs), "events_touched", len(evs),
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
		c.Restore(cd.Doc, cd.EventID)
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

func cmdEval(ctx context.Context, e *env, args []string) error {
	fs := e.flags("eval")
	predPath := fs.String("pred", "", "write predictions ({\"id\",\"cluster\"} per line) to this file")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("eval needs one JSON Lines file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	docs, err := events.ReadDocs(f)
	if err != nil {
		return fmt.Errorf("eval %s: %w", fs.Arg(0), err)
	}
	start := time.Now()
	as, c := events.StreamClusterer(docs, events.DefaultOptions())
	elapsed := time.Since(start)
	if *predPath != "" {
		if err := writePredictions(*predPath, as); err != nil {
			return err
		}
	}
	gold, pred := map[string]string{}, map[string]string{}
	for i, d := range docs {
		gold[d.ID] = d.Event
		pred[as[i].DocID] = as[i].EventID
	}
	fmt.Fprintf(e.stdout, "%s: %d items, %d clusters, %.0f items/s\n", fs.Arg(0), len(docs), countClusters(as),
		float64(len(docs))/elapsed.Seconds())
	if !labeled(docs) {
		fmt.Fprintln(e.stdout, "no `event` labels in the file: scores skipped")
		return nil
	}
	fmt.Fprintln(e.stdout, events.Score(gold, pred))
	return printRelated(e, fs.Arg(0), c, gold, pred)
}

// printRelated scores the related-event links when the set has gold
// related pairs beside it (NAME.related.tsv).
func printRelated(e *env, path string, c *events.Clusterer, gold, pred map[string]string) error {
	f, err := os.Open(strings.TrimSuffix(path, ".jsonl") + ".related.tsv")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	pairs, err := events.ReadRelatedPairs(f)
	if err != nil {
		return fmt.Errorf("eval %s: %w", f.Name(), err)
	}
	fmt.Fprintln(e.stdout, events.ScoreRelated(c, gold, pred, pairs))
	return nil
}

func labeled(docs []events.LabeledDoc) bool {
	for _, d := range docs {
		if d.Event == "" {
			return false
		}
	}
	return len(docs) > 0
}

func countClusters(as []events.Assignment) int {
	seen := map[string]bool{}
	for _, a := range as {
		seen[a.EventID] = true
	}
	return len(seen)
}

func writePredictions(path string, as []events.Assignment) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write predictions: %w", err)
	}
	enc := json.NewEncoder(f)
	for _, a := range as {
		if err := enc.Encode(map[string]string{"id": a.DocID, "cluster": a.EventID}); err != nil {
			f.Close()
			return fmt.Errorf("write predictions %s: %w", path, err)
		}
	}
	return f.Close()
}
