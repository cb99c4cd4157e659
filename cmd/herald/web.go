package main

import (
	"context"
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
func (d *daemon) instrument() {
	d.metrics = newMetrics(d.store)
	d.dedup.metrics = d.metrics
}

// webHandler builds the web server for a configuration.
func (d *daemon) webHandler(cfg *Config, digests *digester) http.Handler {
	topics := make([]web.Topic, len(cfg.Topics))
	for i, t := range cfg.Topics {
		topics[i] = web.Topic{Name: t.Name, Title: t.Title}
	}
	opt := web.Options{Topics: topics, PublicURL: cfg.HTTP.PublicURL, Unsubscriber: d.webUnsubscriber(digests),
		SchedulerRunning: d.running.Load, Instance: d.coord.status, Log: d.log}
	if d.metrics != nil {
		opt.Metrics, opt.Recorder = d.metrics, d.metrics
	}
	return web.New(web.StoreReader{Store: d.store}, opt)
}

// newMetrics makes the metrics of one daemon; digest counts are read from
// the outbox at each scrape.
func newMetrics(st *store.Store) *metrics.Metrics {
	m := metrics.New()
	m.AddGauge(metrics.NewGaugeFunc("herald_digests", "Digests in the outbox by status.", "status",
		func(ctx context.Context) (map[string]float64, error) { return floats(st.OutboxCounts(ctx)) }))
	m.AddGauge(metrics.NewGaugeFunc("herald_store_writable",
		"1 while the store's last write went through, 0 while it cannot write (a full disk: see /readyz and the log).", "backend",
		func(ctx context.Context) (map[string]float64, error) {
			v := 1.0
			if st.WriteError() != nil {
				v = 0
			}
			return map[string]float64{st.Dialect(): v}, nil
		}))
	m.AddGauge(metrics.NewGaugeFunc("herald_store_write_failures",
		"Writes the store refused for lack of storage since the daemon started (a count that only grows).", "backend",
		func(ctx context.Context) (map[string]float64, error) {
			return map[string]float64{st.Dialect(): float64(st.WriteFailures())}, nil
		}))
	m.AddGauge(metrics.NewGaugeFunc("herald_digests_unconfirmed",
		"Digests an attempt handed to the SMTP server without an answer, by status (sent again at most once; maybe_sent: not again).", "status",
		func(ctx context.Context) (map[string]float64, error) { return floats(st.UnconfirmedDigests(ctx)) }))
	return m
}

func floats(counts map[string]int, err error) (map[string]float64, error) {
	out := make(map[string]float64, len(counts))
	for k, v := range counts {
		out[k] = float64(v)
	}
	return out, err
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
		m.Polls.Inc(status)
		m.PollSeconds.Observe(r.Duration.Seconds())
		m.ItemsStored.Add(float64(r.Saved.New))
	}
}

// recordClustering counts the events one batch opened and grew, and how
// long it took.
func recordClustering(m *metrics.Metrics, as []events.Assignment, start time.Time) {
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
	m.ClusterSeconds.ObserveSince(start)
}
