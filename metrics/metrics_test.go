package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

// Every series Herald exports follows the Prometheus naming rules, as the
// Prometheus project's own linter reads them: counters end in _total,
// units are base units and named, and so on.
func TestNamesPassPromlint(t *testing.T) {
	m := New(func(context.Context, time.Time) (StoreState, error) { return StoreState{}, nil }, time.Second, nil)
	m.WatchWrites(func() Writes { return Writes{Backend: "sqlite", Writable: true} })
	m.Polls.WithLabelValues("ok").Inc()
	m.ConfigReloads.WithLabelValues("ok").Inc()
	m.RetentionDeleted.WithLabelValues("items").Add(3)
	m.ObserveRequest("GET /", 200)
	problems, err := promlint.New(strings.NewReader(scrape(t, m))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "herald_") {
			t.Errorf("%s: %s", p.Metric, p.Text)
		}
	}
}

func TestCountersAndHistograms(t *testing.T) {
	m := New(nil, 0, nil)
	m.Polls.WithLabelValues("ok").Inc()
	m.Polls.WithLabelValues("error").Add(2)
	m.ItemsStored.Add(60)
	m.ObserveRequest("GET /events/{file}", 200)
	m.ObserveRequest("GET /events/{file}", 200)
	for _, v := range []float64{0.2, 7, 100} {
		m.PollSeconds.Observe(v)
	}
	want := `
# HELP herald_polls_total Feed polls by result.
# TYPE herald_polls_total counter
herald_polls_total{result="error"} 2
herald_polls_total{result="ok"} 1
# HELP herald_items_stored_total New items stored.
# TYPE herald_items_stored_total counter
herald_items_stored_total 60
# HELP herald_http_requests_total HTTP requests by route and status.
# TYPE herald_http_requests_total counter
herald_http_requests_total{route="GET /events/{file}",status="200"} 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"herald_polls_total", "herald_items_stored_total", "herald_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.PollSeconds); n != 1 {
		t.Errorf("poll histogram series: %d", n)
	}
	body := scrape(t, m)
	for _, line := range []string{`herald_poll_duration_seconds_bucket{le="0.25"} 1`, `herald_poll_duration_seconds_bucket{le="10"} 2`,
		`herald_poll_duration_seconds_bucket{le="+Inf"} 3`, `herald_poll_duration_seconds_sum 107.2`,
		"go_goroutines ", "process_cpu_seconds_total "} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// The store gauges are read at scrape time, at most once per cacheFor,
// and a failed read leaves them out while the rest is served.
func TestStoreGaugesAreCached(t *testing.T) {
	now := time.Date(2026, 11, 20, 7, 0, 0, 0, time.UTC)
	reads := 0
	fail := false
	read := func(ctx context.Context, at time.Time) (StoreState, error) {
		reads++
		if fail {
			return StoreState{}, errors.New("db down")
		}
		return StoreState{Feeds: map[string]int{"ok": 3, "backoff": reads}, AllOld: 1, Items: 10, OpenEvents: 2,
			OldestItem: at.Add(-time.Hour), Digests: map[string]int{"pending": 1, "maybe_sent": 2}, OldestPending: at.Add(-90 * time.Second),
			Unconfirmed: map[string]int{"maybe_sent": 2, "pending": 1}}, nil
	}
	m := New(nil, 0, nil)
	c := newStoreCollector(read, 5*time.Second, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	m.reg.MustRegister(c)
	want := func(series string, v float64) {
		t.Helper()
		if got := gaugeValue(t, scrape(t, m), series); got != v {
			t.Errorf("%s = %v, want %v", series, got, v)
		}
	}
	want(`herald_feeds{status="backoff"}`, 1)
	want(`herald_feeds{status="disabled"}`, 0)
	want(`herald_feeds_all_old`, 1)
	want(`herald_items`, 10)
	want(`herald_oldest_item_age_seconds`, 3600)
	want(`herald_digests{status="sent"}`, 0)
	want(`herald_oldest_pending_digest_age_seconds`, 90)
	want(`herald_digests{status="maybe_sent"}`, 2)
	want(`herald_digests_unconfirmed{status="maybe_sent"}`, 2)
	want(`herald_digests_unconfirmed{status="pending"}`, 1)
	want(`herald_digests_unconfirmed{status="sent"}`, 0)
	if reads != 1 {
		t.Errorf("%d reads for scrapes within the cache time, want 1", reads)
	}
	now = now.Add(6 * time.Second)
	want(`herald_feeds{status="backoff"}`, 2)
	fail = true
	now = now.Add(6 * time.Second)
	body := scrape(t, m)
	if strings.Contains(body, "herald_feeds{") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("with the store down: want the store gauges left out and the rest served:\n%s", body)
	}
}

// The gauges of this process's writes are read at every scrape, and
// served while the store gauges cannot be read.
func TestWritesGauges(t *testing.T) {
	w := Writes{Backend: "postgres", Writable: true}
	m := New(func(context.Context, time.Time) (StoreState, error) { return StoreState{}, errors.New("db down") }, time.Hour, nil)
	m.WatchWrites(func() Writes { return w })
	body := scrape(t, m)
	if gaugeValue(t, body, `herald_store_writable{backend="postgres"}`) != 1 ||
		gaugeValue(t, body, `herald_store_write_failures{backend="postgres"}`) != 0 {
		t.Errorf("a writable store:\n%s", body)
	}
	w.Writable, w.Failures = false, 3
	body = scrape(t, m)
	if gaugeValue(t, body, `herald_store_writable{backend="postgres"}`) != 0 ||
		gaugeValue(t, body, `herald_store_write_failures{backend="postgres"}`) != 3 {
		t.Errorf("a store that cannot write, after 3 failures:\n%s", body)
	}
}

// gaugeValue finds one sample in the exposition.
func gaugeValue(t *testing.T, body, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in\n%s", series, body)
	return 0
}
