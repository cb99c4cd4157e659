package store

import (
	"context"
	"testing"
	"time"

	"herald/feeds"
)

// TestStatsAndRetries: Stats counts feeds as feeds.Feed.Health does,
// WaitingFeeds says what is not due and until when, and a change of the
// fetch settings makes the failing feeds due at once (and only a change).
func TestStatsAndRetries(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	add := func(url string) feeds.Feed {
		f, err := s.AddFeed(ctx, FeedSpec{URL: url, Topic: "world"}, OriginCLI, now)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	save := func(f feeds.Feed) {
		if _, err := s.SavePoll(ctx, f, nil, now); err != nil {
			t.Fatal(err)
		}
	}
	add("http://never.example/rss")
	ok := add("http://ok.example/rss")
	ok.LastPoll, ok.NextPoll, ok.LastStatus = now, now.Add(30*time.Minute), feeds.StatusOK
	save(ok)
	failing := add("http://failing.example/rss")
	failing.LastPoll, failing.NextPoll, failing.Failures, failing.LastStatus = now, now.Add(2*time.Hour), 2, feeds.StatusError
	save(failing)
	gone := add("http://gone.example/rss")
	gone.LastPoll, gone.Disabled, gone.Failures, gone.LastStatus = now, true, 1, feeds.StatusGone
	save(gone)

	st, err := s.Stats(ctx, now, now.Add(-72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"ok": 1, "never_polled": 1, "backoff": 1, "disabled": 1, "failing": 0}
	for k, v := range want {
		if st.Feeds[k] != v {
			t.Errorf("Stats feeds %s = %d, want %d (all: %v)", k, st.Feeds[k], v, st.Feeds)
		}
	}
	all, _ := s.Feeds(ctx)
	for _, f := range all {
		if f.URL == failing.URL && f.Health(now) != feeds.HealthBackoff || f.URL == gone.URL && f.Health(now) != feeds.HealthDisabled {
			t.Errorf("%s: health %s", f.URL, f.Health(now))
		}
	}
	w, err := s.WaitingFeeds(ctx, "", now)
	if err != nil || w.Backoff != 1 || !w.BackoffUntil.Equal(now.Add(2*time.Hour)) || w.Later != 1 ||
		!w.LaterUntil.Equal(now.Add(30*time.Minute)) {
		t.Errorf("WaitingFeeds: %+v, %v", w, err)
	}

	for i, tc := range []struct {
		settings string
		retried  int
	}{{"a", 0}, {"a", 0}, {"b", 1}, {"b", 0}} {
		n, err := s.RetryOnNewSettings(ctx, tc.settings)
		if err != nil || n != tc.retried {
			t.Errorf("step %d, settings %q: %d feeds retried (%v), want %d", i, tc.settings, n, err, tc.retried)
		}
	}
	if f, _ := s.Feed(ctx, failing.ID); !f.NextPoll.IsZero() || f.Failures != 2 {
		t.Errorf("failing feed after the change: next poll %v, failures %d; want due now, failures kept", f.NextPoll, f.Failures)
	}
	if f, _ := s.Feed(ctx, gone.ID); !f.Disabled {
		t.Error("a settings change re-enabled a gone feed")
	}
}
