package main

import (
	"context"
	"time"

	"herald/feeds"
	"herald/store"
)

// retaining is the poller's store: it drops feed items published before
// the retention period, so that an item pruned from the store does not
// come back as new while its feed still carries it. (An undated item
// carries its fetch time; the store remembers the keys it pruned for those.)
type retaining struct {
	*store.Store
	keep time.Duration
}

func (r retaining) SavePoll(ctx context.Context, f feeds.Feed, items []feeds.Item, now time.Time) (feeds.Saved, error) {
	cut := now.Add(-r.keep)
	var kept []feeds.Item
	for _, it := range items {
		if it.Published.IsZero() || !it.Published.Before(cut) {
			kept = append(kept, it)
		}
	}
	saved, err := r.Store.SavePoll(ctx, f, kept, now)
	saved.Skipped += len(items) - len(kept)
	return saved, err
}

// startPrune deletes, in the background, the events and items the
// retention period has passed. The daemon runs it at start and daily; on
// a shared database only the leader does. It is one of the daemon's jobs,
// so shutdown waits for it (its batches stop when ctx is cancelled).
func (d *daemon) startPrune(ctx context.Context) {
	d.jobs.Add(1)
	go func() {
		defer d.jobs.Done()
		if !d.coord.lead(ctx) {
			return
		}
		start := time.Now()
		keep := time.Duration(d.cur().cfg.Retention)
		before := start.Add(-keep)
		p, err := d.store.Prune(ctx, before)
		if d.metrics != nil { // a failed run may have deleted some batches
			d.metrics.RetentionDeleted.WithLabelValues("events").Add(float64(p.Events))
			d.metrics.RetentionDeleted.WithLabelValues("items").Add(float64(p.Items))
		}
		if err != nil {
			d.log.Error("retention: prune failed", "retention", keep.String(), "before", before,
				"events", p.Events, "items", p.Items, "error", err)
			return
		}
		d.log.Info("retention: pruned", "retention", keep.String(), "before", before,
			"events", p.Events, "items", p.Items, "duration_ms", time.Since(start).Milliseconds())
	}()
}
