package web

import (
	"context"
	"errors"
	"fmt"

	"herald/events"
	"herald/feeds"
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
func (s StoreReader) Event(ctx context.Context, id string) (events.Event, []events.Relation, error) {
	ev, rels, err := s.Store.Event(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return ev, nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return ev, rels, err
}

// Feeds returns every polled feed with its state, the credentials a feed
// URL may carry masked in the URL and in the last error.
func (s StoreReader) Feeds(ctx context.Context) ([]feeds.Feed, error) {
	fs, err := s.Store.Feeds(ctx)
	return redactFeeds(fs), err
}

// FeedPage returns limit feeds from offset on and how many there are, the
// credentials masked as in Feeds.
func (s StoreReader) FeedPage(ctx context.Context, offset, limit int) ([]feeds.Feed, int, error) {
	fs, total, err := s.Store.FeedPage(ctx, offset, limit)
	return redactFeeds(fs), total, err
}

// redactFeeds masks the userinfo of each feed's URL, there and in its last
// error.
func redactFeeds(fs []feeds.Feed) []feeds.Feed {
	for i, f := range fs {
		fs[i].URL, fs[i].LastError = feeds.RedactURL(f.URL), feeds.RedactText(f.LastError, f.URL)
	}
	return fs
}

// Ping checks that the store answers and that its last write went through:
// a store that cannot write (a full disk) is not ready, whatever it reads.
func (s StoreReader) Ping(ctx context.Context) error {
	if err := s.Store.Ping(ctx); err != nil {
		return err
	}
	if err := s.Store.WriteError(); err != nil {
		return fmt.Errorf("cannot write: %w", err)
	}
	return nil
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
