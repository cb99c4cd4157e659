package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"herald/events"
	"herald/store"
)

// newPlacer wires the deduplicator to the store, with the config's window,
// batches that shrink when the disk is full, and its snapshot kept in the
// store.
func newPlacer(st *store.Store, log *slog.Logger, window time.Duration) *events.Placer {
	return &events.Placer{Store: st, Log: log, Window: window, Full: store.IsStorageFailure, Snapshots: st,
		Build: buildID}
}

// buildID names the running binary by a hash of its file: a snapshot that
// other code wrote, whose analysis may differ, is rebuilt rather than read,
// whether the binary was built, installed or run by `go run` (which records
// no version). Empty when the file cannot be read: then the options and the
// format alone name the snapshot.
var buildID = sync.OnceValue(func() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
})

// snapshotEvery is how often the daemon saves the clusterer while it
// places: a crash then replays at most this much placing at the next
// start. A save holds SQLite's one connection for a second or two per
// hundred thousand items held.
const snapshotEvery = 30 * time.Minute

// keptLead reports whether this instance leads and has led since the last
// LeadFresh: the clusterer it holds then saw every placement. It asks the
// database only when it leads already, so that a follower that stops does
// not take the lock on its way out.
func keptLead(ctx context.Context, coord *store.Coordinator) bool {
	if _, leads := coord.Status(); !leads {
		return false
	}
	leader, fresh := coord.LeadFresh(ctx)
	return leader && !fresh
}

// saveClustering saves the clusterer's snapshot at the end of a run, so
// that the next start resumes from it; a failure only costs that start a
// rebuild.
func saveClustering(ctx context.Context, p *events.Placer, log *slog.Logger) {
	if err := p.Snapshot(ctx); err != nil && ctx.Err() == nil {
		log.Warn("clustering snapshot not saved: the next start rebuilds it from the store", "error", err)
	}
}

// placing runs rounds of a placer beside the polls: each nudge asks for a
// round (a round asked for while one runs covers it), so items are placed
// while later feeds are still being fetched. The store is the queue
// between the stages: it holds what was fetched and not yet placed, and
// the placer reads it in batches, so nothing grows with the backlog.
type placing struct {
	nudges chan struct{}
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
	err    error // the first round that failed; set before done closes
}

// startPlacing starts the rounds; finish ends them.
func startPlacing(ctx context.Context, round func(context.Context) error) *placing {
	pl := &placing{nudges: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(pl.done)
		for {
			select {
			case <-pl.quit:
				pl.err = errors.Join(pl.err, round(ctx)) // what the last polls stored
				return
			case <-pl.nudges:
				if err := round(ctx); err != nil && pl.err == nil {
					pl.err = err
				}
			}
		}
	}()
	return pl
}

// nudge asks for a round.
func (pl *placing) nudge() {
	select {
	case pl.nudges <- struct{}{}:
	default:
	}
}

// finish runs a last round for what is left, waits for it and returns the
// first error of any round.
func (pl *placing) finish() error {
	pl.once.Do(func() { close(pl.quit) })
	<-pl.done
	return pl.err
}

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
			// Only a leader that kept its term saves: another instance may
			// have placed items since a lost term, which this clusterer lacks.
			if keptLead(work, d.coord) {
				saveClustering(work, d.placer, d.log)
			}
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
		// A follower holds no clusterer: it would be stale when this
		// instance leads again, and saving it would hide the leader's work.
		d.placer.Reset()
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
