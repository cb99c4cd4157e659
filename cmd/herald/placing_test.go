package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// TestPlacingRunsBesideThePolls checks the loop between polls and the
// placer: nudges during a round coalesce into one more, finish always runs
// a last round (for what the last polls stored) and returns the first
// error.
func TestPlacingRunsBesideThePolls(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var rounds, finished atomic.Int32
	var lastAfterFinish atomic.Bool
	boom := errors.New("disk full")
	pl := startPlacing(context.Background(), func(context.Context) error {
		n := rounds.Add(1)
		if n == 1 {
			close(started)
			<-release
			return boom
		}
		lastAfterFinish.Store(finished.Load() == 1)
		return nil
	})
	pl.nudge()
	<-started
	for range 5 {
		pl.nudge() // one round is running: these make at most one more
	}
	close(release)
	finished.Store(1)
	err := pl.finish()
	if !errors.Is(err, boom) {
		t.Errorf("finish returned %v, want the first round's error", err)
	}
	if n := rounds.Load(); n < 2 || n > 3 {
		t.Errorf("%d rounds, want the first, at most one for the coalesced nudges, and the last", n)
	}
	if !lastAfterFinish.Load() {
		t.Error("no round ran after finish: what the last polls stored would stay unplaced")
	}
}
