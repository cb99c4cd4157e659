package main

import (
	"context"
	"time"
)

// startPrune deletes, in the background, the events and items the
// retention period has passed. The daemon runs it at start and daily; on
// a shared database only the leader does. It is one of the daemon's jobs,
// so shutdown waits for it (its batches stop when ctx is cancelled).
func (d *daemon) startPrune(ctx context.Context) {
	d.jobs.Add(1)
	go func() {
		defer d.jobs.Done()
		if !d.coord.Lead(ctx) {
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
