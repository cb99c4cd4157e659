package store

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
)

// HeartbeatEvery is how often an instance says it is alive and checks (or
// tries to take) the leader lock between poll passes.
const HeartbeatEvery = 15 * time.Second

// Coordinator is what lets several `herald run` instances share one
// database: it polls through leases, so each due feed goes to one
// instance, and it holds or seeks the leader lock, so that clustering runs
// on one instance at a time (digests are claimed one by one, so any
// instance may send them). On SQLite there is one instance, which always
// leads. It lives beside the leases and the lock it coordinates
// (leases.go); the daemon in cmd/herald decides when to call it.
type Coordinator struct {
	store   *Store
	log     *slog.Logger
	id      string        // hostname-pid-random
	started time.Time     // for the instances table
	lease   time.Duration // how long a leased feed waits for its poll before another may take it

	draining atomic.Bool // shutting down: lease no more feeds

	mu      sync.Mutex
	leader  *Leadership // nil when another instance leads
	elected bool        // leadership was (re)gained since the last LeadFresh
}

// NewCoordinator returns the coordinator of one instance (a daemon, or a
// one-off `herald poll`), started at now, whose leases last lease unless
// renewed.
func NewCoordinator(st *Store, log *slog.Logger, lease time.Duration, now time.Time) *Coordinator {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	id := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), rand.Text()[:6])
	return &Coordinator{store: st, log: log, id: id, started: now, lease: lease}
}

// ID names the instance among those sharing the database.
func (c *Coordinator) ID() string { return c.id }

// Lease is how long a leased feed waits for its poll before another
// instance may take it, unless renewed.
func (c *Coordinator) Lease() time.Duration { return c.lease }

// Poller polls a batch of feeds; *feeds.Poller is one.
type Poller interface {
	PollAll(ctx context.Context, fs []feeds.Feed, onResult func(feeds.Result)) []feeds.Result
}

// PollLeased polls the due feeds of topic ("" for all) in batches leased
// from the store, until no due feed is left that no one else holds. While
// a batch runs its leases are renewed, so a slow batch keeps its feeds.
// Once the daemon is draining, the batch in hand is finished and no other
// is leased.
//
// each, when set, is called with every feed's result as it comes (the
// daemon's clustering places what it brought while later feeds are fetched).
//
// interval is the time between the topic's passes (the shortest of all
// topics' for ""): a feed polled by anyone within the last half of it is
// not due (LeaseQuery.Fresh), so instances whose passes begin at
// different moments (started 0.5 s apart, or each on its own tick) do not
// fetch it again. Half, because a pass polls its last feeds some time
// after its tick, and those are due at the next tick all the same.
func (c *Coordinator) PollLeased(ctx context.Context, p Poller, topic string, batch int, interval time.Duration, each func(feeds.Result)) ([]feeds.Result, error) {
	q := LeaseQuery{Owner: c.id, Topic: topic, Pass: time.Now(), Fresh: interval / 2, Lease: c.lease, Limit: batch}
	var results []feeds.Result
	for ctx.Err() == nil && !c.draining.Load() {
		q.Now = time.Now()
		due, err := c.store.LeaseDueFeeds(ctx, q)
		if err != nil || len(due) == 0 {
			return results, err
		}
		stop := c.Renewing(ctx, due)
		results = append(results, p.PollAll(ctx, due, each)...)
		stop()
	}
	return results, ctx.Err()
}

// Renewing extends the leases on batch every third of the lease until the
// returned function is called. A feed whose poll could not be saved keeps
// its lease until it expires: it is tried again after that.
func (c *Coordinator) Renewing(ctx context.Context, batch []feeds.Feed) (stop func()) {
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

// LeadFresh is Lead, and also reports whether leadership was gained since
// the last call: then state kept in memory from an earlier term (the
// deduplicator's) is stale, because another leader worked meanwhile.
func (c *Coordinator) LeadFresh(ctx context.Context) (leader, fresh bool) {
	leader = c.Lead(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh, c.elected = c.elected, false
	return leader, fresh
}

// Lead reports whether this instance is the leader now: it checks that a
// lock it holds is still held, or tries to take a free one.
func (c *Coordinator) Lead(ctx context.Context) bool {
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
func (c *Coordinator) heartbeat(ctx context.Context) { c.Record(ctx, c.Lead(ctx)) }

// Record records that the instance is alive, and whether it leads.
func (c *Coordinator) Record(ctx context.Context, leader bool) {
	if err := c.store.Heartbeat(ctx, c.id, c.started, time.Now(), leader); err != nil && ctx.Err() == nil {
		c.log.Warn("heartbeat", "instance", c.id, "error", err)
	}
}

// Beat records every 15 s that the instance is alive and whether it
// leads, until ctx ends; the daemon owns it.
func (c *Coordinator) Beat(ctx context.Context) {
	t := time.NewTicker(HeartbeatEvery)
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

// Drain makes running passes end after their current batch.
func (c *Coordinator) Drain() { c.draining.Store(true) }

// Stop gives back what the instance holds: leases of polls that were cut
// short, the leader lock, its row in the instances table.
func (c *Coordinator) Stop(ctx context.Context) {
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

// Status says which instance this is and whether it leads, without asking
// the database: for /readyz.
func (c *Coordinator) Status() (id string, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id, c.leader != nil
}
