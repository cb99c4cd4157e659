package main

import (
	"context"
	"time"

	"herald/store"
)

// The daemon's side of sharing a database (store.Coordinator leases the
// feeds and holds the leader lock): clustering runs on the leader only.

// startClustering runs the deduplicator beside the polls, on the leader
// only: each pass nudges it, and it places every item not yet in an event,
// whoever polled it. Running it apart keeps the leader polling while it
// clusters. The returned stop lets a placement in progress finish (up to
// shutdownGrace, then cancels it) and returns when the loop has ended.
func (d *daemon) startClustering(ctx context.Context) (stop func()) {
	d.nudges = make(chan struct{}, 1)
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-d.nudges:
			}
			d.cluster(work)
		}
	}()
	return func() {
		close(quit)
		select {
		case <-done:
		case <-time.After(shutdownGrace):
			d.log.Warn("cancelling clustering still running", "after", shutdownGrace)
			cancel()
			<-done
		}
		cancel()
	}
}

// nudgeClustering asks the clustering loop for a round; a round already
// asked for covers this one too.
func (d *daemon) nudgeClustering() {
	select {
	case d.nudges <- struct{}{}:
	default:
	}
}

// cluster places new items if this instance leads. A new term starts from
// the store: another leader may have placed items meanwhile.
func (d *daemon) cluster(ctx context.Context) {
	leader, fresh := d.coord.LeadFresh(ctx)
	if !leader {
		return
	}
	if fresh {
		d.placer.Reset()
		d.coord.Record(ctx, true) // show the new leader at once
	}
	_, err := d.placer.Place(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		d.log.Error("clustering failed", "error", err)
		if store.IsStorageFailure(err) && !d.clusterBehind.Swap(true) {
			d.log.Warn("polls wait: the store could not keep clustering's decisions, which go first when it can write again",
				"error", err)
		}
	case err == nil && d.clusterBehind.Swap(false):
		d.log.Info("clustering caught up: polls resume")
	}
}
