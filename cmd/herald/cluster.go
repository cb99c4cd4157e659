package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"herald/events"
	"herald/store"
)

// newPlacer wires the deduplicator to the store, with the config's window
// and batches that shrink when the disk is full.
func newPlacer(st *store.Store, log *slog.Logger, window time.Duration) *events.Placer {
	return &events.Placer{Store: st, Log: log, Window: window, Full: store.IsStorageFailure}
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
