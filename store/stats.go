package store

import (
	"context"
	"fmt"
	"time"
)

// Stats is the state of the store that /metrics shows as gauges.
type Stats struct {
	Feeds         map[string]int // subscribed feeds by status (see FeedStatus)
	Items         int
	OpenEvents    int       // events updated since the openSince given to Stats
	OldestItem    time.Time // first_seen of the oldest item; zero when none
	Digests       map[string]int
	OldestPending time.Time // created_at of the oldest pending digest; zero when none
}

// Feed statuses, as counted by Stats and shown by `herald feeds`.
const (
	FeedOK          = "ok"
	FeedFailing     = "failing" // the last poll failed and the feed is due for a retry
	FeedBackoff     = "backoff" // the last poll failed and the feed waits before the next
	FeedDisabled    = "disabled"
	FeedNeverPolled = "never_polled"
)

// Stats reads the store's state as of now, with a few aggregate queries
// (each one scan at most). Events updated since openSince count as open.
func (s *Store) Stats(ctx context.Context, now, openSince time.Time) (Stats, error) {
	st := Stats{Feeds: map[string]int{}}
	var disabled, failing, backoff, never, total int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN disabled = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN disabled = 0 AND failures > 0 AND next_poll <= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN disabled = 0 AND failures > 0 AND next_poll > ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN disabled = 0 AND failures = 0 AND last_poll = 0 THEN 1 ELSE 0 END), 0)
		FROM feeds f WHERE EXISTS (SELECT 1 FROM feed_topics t WHERE t.feed_id = f.id)`), ms(now), ms(now)).
		Scan(&total, &disabled, &failing, &backoff, &never)
	if err != nil {
		return st, fmt.Errorf("count feeds by status: %w", err)
	}
	st.Feeds = map[string]int{FeedOK: total - disabled - failing - backoff - never, FeedFailing: failing,
		FeedBackoff: backoff, FeedDisabled: disabled, FeedNeverPolled: never}
	var oldestItem, oldestPending int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(first_seen), 0) FROM items`).
		Scan(&st.Items, &oldestItem); err != nil {
		return st, fmt.Errorf("count items: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM events WHERE last_updated >= ?`), ms(openSince)).
		Scan(&st.OpenEvents); err != nil {
		return st, fmt.Errorf("count open events: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(MIN(created_at), 0) FROM digests WHERE status = ?`), DigestPending).
		Scan(&oldestPending); err != nil {
		return st, fmt.Errorf("oldest pending digest: %w", err)
	}
	st.OldestItem, st.OldestPending = fromMS(oldestItem), fromMS(oldestPending)
	var err2 error
	st.Digests, err2 = s.OutboxCounts(ctx)
	return st, err2
}

// FeedStatus is Stats' status of one feed at now.
func FeedStatus(disabled bool, failures int, lastPoll, nextPoll, now time.Time) string {
	switch {
	case disabled:
		return FeedDisabled
	case failures > 0 && nextPoll.After(now):
		return FeedBackoff
	case failures > 0:
		return FeedFailing
	case lastPoll.IsZero():
		return FeedNeverPolled
	}
	return FeedOK
}
