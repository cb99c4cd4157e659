package web

import (
	"context"
	"errors"
	"fmt"

	"herald/events"
	"herald/store"
)

// StoreReader serves the web server's reads from Herald's store. The
// server itself asks only for its small Store interface, so tests can
// hand it anything that answers the same questions.
type StoreReader struct{ *store.Store }

// Events lists the events q selects, the most recently updated first
// (only their weights when q.WeightsOnly).
func (s StoreReader) Events(ctx context.Context, q Query) ([]events.Event, error) {
	sq := store.EventQuery{IDs: q.IDs, UpdatedAfter: q.UpdatedAfter, FirstSeenAfter: q.FirstSeenAfter,
		FirstSeenBefore: q.FirstSeenBefore, Limit: q.Limit}
	if q.Topic != "" {
		sq.Topics = []string{q.Topic}
	}
	if q.WeightsOnly {
		return s.Store.EventWeights(ctx, sq)
	}
	return s.Store.Events(ctx, sq)
}

// Event returns one event and its relations; ErrNotFound when it does not
// exist.
func (s StoreReader) Event(ctx context.Context, id string) (events.Event, []Relation, error) {
	ev, rels, err := s.Store.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ev, nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	out := make([]Relation, len(rels))
	for i, r := range rels {
		out[i] = Relation{EventID: r.EventID, Shared: r.Shared}
	}
	return ev, out, err
}

// Storyline returns a storyline and its events; ErrNotFound when it holds
// none.
func (s StoreReader) Storyline(ctx context.Context, id string) (events.Storyline, []events.Event, error) {
	st, evs, err := s.Store.Storyline(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return st, nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return st, evs, err
}
