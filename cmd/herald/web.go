package main

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"herald/events"
	"herald/feeds"
	"herald/metrics"
	"herald/store"
	"herald/web"
)

// webParts are what the daemon keeps for the web server: the metrics it
// records into and serves, and whether the scheduler runs (for /readyz).
type webParts struct {
	metrics *metrics.Metrics
	running atomic.Bool
}

// instrument creates the daemon's metrics and hands them to the parts
// that record into them.
func (d *daemon) instrument(cfg *Config) {
	d.metrics = newMetrics(d.store, time.Duration(cfg.Poll.ClusterWin), storeGaugesFor, d.log)
	d.placer.Placed = func(as []events.Assignment, took time.Duration) {
		recordClustering(d.metrics, as, took, d.placer.Held())
	}
}

// webHandler builds the web server for a configuration.
func (d *daemon) webHandler(cfg *Config, digests *digester) http.Handler {
	topics := make([]web.Topic, len(cfg.Topics))
	for i, t := range cfg.Topics {
		topics[i] = web.Topic{Name: t.Name, Title: t.Title}
	}
	opt := web.Options{Topics: topics, PublicURL: cfg.HTTP.PublicURL, Unsubscriber: d.webUnsubscriber(digests),
		SchedulerRunning: d.running.Load, Instance: d.coord.Status, Log: d.log, Templates: cfg.parsed.web}
	if d.metrics != nil {
		opt.Metrics, opt.Recorder = d.metrics, d.metrics
	}
	return web.New(d.store, opt)
}

// storeGaugesFor is how long /metrics reuses the store gauges it read: a
// scrape every second costs one set of queries per few seconds.
const storeGaugesFor = 5 * time.Second

// newMetrics makes the metrics of one daemon; the store gauges are read
// from the database at scrape time (cached for cacheFor: storeGaugesFor in
// the daemon). Events updated within the clustering window count as open.
// Whether this process's writes go through is read at every scrape.
func newMetrics(st *store.Store, window, cacheFor time.Duration, log *slog.Logger) *metrics.Metrics {
	m := metrics.New(func(ctx context.Context, now time.Time) (metrics.StoreState, error) {
		s, err := st.Stats(ctx, now, now.Add(-window))
		return metrics.StoreState{Feeds: s.Feeds, AllOld: s.AllOld, Items: s.Items, OpenEvents: s.OpenEvents, OldestItem: s.OldestItem,
			Digests: s.Digests, OldestPending: s.OldestPending, Unconfirmed: s.Unconfirmed}, err
	}, cacheFor, log)
	m.WatchWrites(func() metrics.Writes {
		return metrics.Writes{Backend: st.Dialect(), Writable: st.WriteError() == nil, Failures: st.WriteFailures()}
	})
	return m
}

// recordPolls counts one pass's polls by result, their duration and the
// items they stored.
func recordPolls(m *metrics.Metrics, results []feeds.Result) {
	if m == nil {
		return
	}
	for _, r := range results {
		status := r.Status
		if status == "" && r.Err != nil {
			status = feeds.StatusError
		}
		m.Polls.WithLabelValues(status).Inc()
		m.PollSeconds.Observe(r.Duration.Seconds())
		m.ItemsStored.Add(float64(r.Saved.New))
	}
}

// recordClustering counts the events one batch opened and grew, and how
// long it took.
func recordClustering(m *metrics.Metrics, as []events.Assignment, took time.Duration, held int) {
	if m == nil {
		return
	}
	for _, a := range as {
		if a.NewEvent {
			m.EventsOpened.Inc()
		} else {
			m.EventsGrown.Inc()
		}
	}
	m.ClusterSeconds.Observe(took.Seconds())
	m.ClusterHeld.Set(float64(held))
}
