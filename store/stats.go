package store

import (
	"context"
	"fmt"
	"time"

	"herald/digest"
	"herald/feeds"
)

// Stats is the state of the store that /metrics shows as gauges.
type Stats struct {
	Feeds         map[string]int // subscribed feeds by health (feeds.Feed.Health)
	AllOld        int            // subscribed feeds whose last document listed only items past retention
	Items         int
	OpenEvents    int       // events updated since the openSince given to Stats
	OldestItem    time.Time // first_seen of the oldest item; zero when none
	Digests       map[string]int
	OldestPending time.Time      // created_at of the oldest pending digest; zero when none
	Unconfirmed   map[string]int // digests by status that an attempt handed over without an answer
}

// Stats reads the store's state as of now, with a few aggregate queries
// (each one scan at most). Feeds are counted as feeds.Feed.Health counts
// them. Events updated since openSince count as open.
func (s *Store) Stats(ctx context.Context, now, openSince time.Time) (Stats, error) {
	st := Stats{Feeds: map[string]int{}}
	var disabled, failing, backoff, never, total int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN disabled = 1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN disabled = 0 AND failures > 0 AND next_poll <= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN disabled = 0 AND failures > 0 AND next_poll > ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN disabled = 0 AND failures = 0 AND last_poll = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN old_items > 0 AND old_items = listed_items THEN 1 ELSE 0 END), 0)
		FROM feeds f WHERE EXISTS (SELECT 1 FROM feed_topics t WHERE t.feed_id = f.id)`), ms(now), ms(now)).
		Scan(&total, &disabled, &failing, &backoff, &never, &st.AllOld)
	if err != nil {
		return st, fmt.Errorf("count feeds by status: %w", err)
	}
	st.Feeds = map[string]int{feeds.HealthOK: total - disabled - failing - backoff - never, feeds.HealthFailing: failing,
		feeds.HealthBackoff: backoff, feeds.HealthDisabled: disabled, feeds.HealthNeverPolled: never}
	var oldestItem, oldestPending int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(first_seen), 0) FROM items`).
		Scan(&st.Items, &oldestItem); err != nil {
		return st, fmt.Errorf("count items: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM events WHERE last_updated >= ?`), ms(openSince)).
		Scan(&st.OpenEvents); err != nil {
		return st, fmt.Errorf("count open events: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(MIN(created_at), 0) FROM digests WHERE status = ?`), digest.StatusPending).
		Scan(&oldestPending); err != nil {
		return st, fmt.Errorf("oldest pending digest: %w", err)
	}
	st.OldestItem, st.OldestPending = fromMS(oldestItem), fromMS(oldestPending)
	if st.Digests, err = s.OutboxCounts(ctx); err != nil {
		return st, err
	}
	st.Unconfirmed, err = s.UnconfirmedDigests(ctx)
	return st, err
}

// Waiting counts the enabled feeds of a topic that are not due yet: those
// backing off after a failed poll and the others, each with the earliest
// time one of them becomes due.
type Waiting struct {
	Backoff, Later           int
	BackoffUntil, LaterUntil time.Time
}

// WaitingFeeds is Waiting for topic ("" for every topic) at now.
func (s *Store) WaitingFeeds(ctx context.Context, topic string, now time.Time) (Waiting, error) {
	var w Waiting
	var backoffUntil, laterUntil int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT
		COALESCE(SUM(CASE WHEN failures > 0 THEN 1 ELSE 0 END), 0), COALESCE(MIN(CASE WHEN failures > 0 THEN next_poll END), 0),
		COALESCE(SUM(CASE WHEN failures = 0 THEN 1 ELSE 0 END), 0), COALESCE(MIN(CASE WHEN failures = 0 THEN next_poll END), 0)
		FROM feeds f WHERE disabled = 0 AND next_poll > ?
		AND EXISTS (SELECT 1 FROM feed_topics t WHERE t.feed_id = f.id AND (? = '' OR t.topic = ?))`), ms(now), topic, topic).
		Scan(&w.Backoff, &backoffUntil, &w.Later, &laterUntil)
	if err != nil {
		return w, fmt.Errorf("count feeds not due: %w", err)
	}
	w.BackoffUntil, w.LaterUntil = fromMS(backoffUntil), fromMS(laterUntil)
	return w, nil
}
