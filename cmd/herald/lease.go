package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"herald/feeds"
	"herald/store"
)

// heartbeatEvery is how often an instance says it is alive and checks (or
// tries to take) the leader lock between poll passes.
const heartbeatEvery = 15 * time.Second

// coordinator is what lets several `herald run` instances share one
// database: it polls through leases, so each due feed goes to one
// instance, and it holds or seeks the leader lock, so that clustering runs
// on one instance at a time (digests are claimed one by one, so any
// instance may send them). On SQLite there is one instance, which always
// leads.
type coordinator struct {
	store   *store.Store
	log     *slog.Logger
	id      string        // hostname-pid-random
	started time.Time     // for the instances table
	lease   time.Duration // how long a leased feed waits for its poll before another may take it

	draining atomic.Bool // shutting down: lease no more feeds

	mu      sync.Mutex
	leader  *store.Leadership // nil when another instance leads
	elected bool              // leadership was (re)gained since the last leadFresh
}

func newCoordinator(st *store.Store, log *slog.Logger, lease time.Duration, now time.Time) *coordinator {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	id := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:6])
	return &coordinator{store: st, log: log, id: id, started: now, lease: lease}
}

// pollLeased polls the due feeds of topic ("" for all) in batches leased
// from the store, until no due feed is left that no one else holds, and
// calls polled after each batch (the clustering loop places what it
// brought while the next is fetched). While
// a batch runs its leases are renewed, so a slow batch keeps its feeds.
// Once the daemon is draining, the batch in hand is finished and no other
// is leased.
func (c *coordinator) pollLeased(ctx context.Context, p *feeds.Poller, topic string, batch int, polled func()) ([]feeds.Result, error) {
	q := store.LeaseQuery{Owner: c.id, Topic: topic, Pass: time.Now(), Lease: c.lease, Limit: batch}
	var results []feeds.Result
	for ctx.Err() == nil && !c.draining.Load() {
		q.Now = time.Now()
		due, err := c.store.LeaseDueFeeds(ctx, q)
		if err != nil || len(due) == 0 {
			return results, err
		}
		stop := c.renewing(ctx, due)
		results = append(results, p.PollAll(ctx, due, nil)...)
		stop()
		polled()
	}
	return results, ctx.Err()
}

// renewing extends the leases on batch every third of the lease until the
// returned function is called. A feed whose poll could not be saved keeps
// its lease until it expires: it is tried again after that.
func (c *coordinator) renewing(ctx context.Context, batch []feeds.Feed) (stop func()) {
	ids := make([]int64, len(batch))
	for i, f := range batch {
		ids[i] = f.ID
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(c.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				if err := c.store.RenewLeases(ctx, c.id, ids, now.Add(c.lease)); err != nil && ctx.Err() == nil {
					c.log.Warn("renew leases", "instance", c.id, "error", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// leadFresh is lead, and also reports whether leadership was gained since
// the last call: then state kept in memory from an earlier term (the
// deduplicator's) is stale, because another leader worked meanwhile.
func (c *coordinator) leadFresh(ctx context.Context) (leader, fresh bool) {
	leader = c.lead(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh, c.elected = c.elected, false
	return leader, fresh
}

// lead reports whether this instance is the leader now: it checks that a
// lock it holds is still held, or tries to take a free one.
func (c *coordinator) lead(ctx context.Context) bool {
	// A database that stops answering must not hold the lock's mutex (and
	// /readyz) forever: then this instance stops leading.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader != nil {
		err := c.leader.Check(ctx)
		if err == nil {
			return true
		}
		c.log.Warn("lost leadership", "instance", c.id, "error", err)
		c.leader.Release(ctx)
		c.leader = nil
	}
	l, err := c.store.TryLead(ctx)
	if err != nil {
		c.log.Warn("leader election", "instance", c.id, "error", err)
		return false
	}
	if l == nil {
		return false
	}
	c.leader, c.elected = l, true
	if c.store.Dialect() != "sqlite" {
		c.log.Info("leading: clustering runs on this instance", "instance", c.id)
	}
	return true
}

// heartbeat records that the instance is alive and whether it leads.
func (c *coordinator) heartbeat(ctx context.Context) { c.record(ctx, c.lead(ctx)) }

func (c *coordinator) record(ctx context.Context, leader bool) {
	if err := c.store.Heartbeat(ctx, c.id, c.started, time.Now(), leader); err != nil && ctx.Err() == nil {
		c.log.Warn("heartbeat", "instance", c.id, "error", err)
	}
}

// beat runs heartbeat until ctx ends; the daemon owns it.
func (c *coordinator) beat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		c.heartbeat(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// drain makes running passes end after their current batch.
func (c *coordinator) drain() { c.draining.Store(true) }

// stop gives back what the instance holds: leases of polls that were cut
// short, the leader lock, its row in the instances table.
func (c *coordinator) stop(ctx context.Context) {
	if err := c.store.ReleaseLeases(ctx, c.id); err != nil {
		c.log.Warn("release leases", "error", err)
	}
	c.mu.Lock()
	if c.leader != nil {
		c.leader.Release(ctx)
		c.leader = nil
	}
	c.mu.Unlock()
	if err := c.store.RemoveInstance(ctx, c.id); err != nil {
		c.log.Warn("remove instance", "error", err)
	}
}

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
	leader, fresh := d.coord.leadFresh(ctx)
	if !leader {
		return
	}
	if fresh {
		d.placer.Reset()
		d.coord.record(ctx, true) // show the new leader at once
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

// status says which instance this is and whether it leads, without asking
// the database: for /readyz.
func (c *coordinator) status() (id string, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id, c.leader != nil
}
