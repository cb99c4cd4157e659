// Package metrics is what Herald exports at /metrics, on the Prometheus
// client library (client_golang): the counters and histograms the daemon
// records into, gauges read from the store when scraped (StoreState), and
// the Go runtime and process collectors.
//
// Every series lives in a Metrics value created by main and passed to
// whoever records into it, with its own registry: no global registry.
package metrics

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is every series Herald records. Counters and histograms count
// what this process did since it started; the store gauges are the
// database's state, the same for every instance sharing it.
type Metrics struct {
	Polls             *prometheus.CounterVec // feed polls, by result (ok, not_modified, error, gone)
	ItemsStored       prometheus.Counter     // new items stored
	EventsOpened      prometheus.Counter     // events the deduplicator opened
	EventsGrown       prometheus.Counter     // docs that joined an existing event
	ClusterHeld       prometheus.Gauge       // items the deduplicator holds in memory
	HTTPRequests      *prometheus.CounterVec // requests served, by route and status
	ConfigReloads     *prometheus.CounterVec // config reloads on SIGHUP, by result (ok, failed)
	RetentionDeleted  *prometheus.CounterVec // rows the retention job deleted, by kind (events, items)
	PollSeconds       prometheus.Histogram   // duration of one feed's poll
	ClusterSeconds    prometheus.Histogram   // duration of one clustering batch
	DigestSendSeconds prometheus.Histogram   // duration of one digest's SMTP delivery

	reg     *prometheus.Registry
	handler http.Handler
}

// New makes Herald's metrics with the Go runtime and process collectors;
// state, when not nil, is read for the store gauges at scrape time (at
// most once per cacheFor). Errors reading it are logged to log.
func New(state StateFunc, cacheFor time.Duration, log *slog.Logger) *Metrics {
	m := &Metrics{
		Polls:        counterVec("herald_polls_total", "Feed polls by result.", "result"),
		ItemsStored:  prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_items_stored_total", Help: "New items stored."}),
		EventsOpened: prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_events_opened_total", Help: "Events opened by the deduplicator."}),
		EventsGrown:  prometheus.NewCounter(prometheus.CounterOpts{Name: "herald_events_grown_total", Help: "Items that joined an existing event."}),
		ClusterHeld: prometheus.NewGauge(prometheus.GaugeOpts{Name: "herald_cluster_held_items",
			Help: "Items the deduplicator holds in memory (its window, or poll.cluster_max_items)."}),
		HTTPRequests:     counterVec("herald_http_requests_total", "HTTP requests by route and status.", "route", "status"),
		ConfigReloads:    counterVec("herald_config_reloads_total", "Config reloads on SIGHUP by result.", "result"),
		RetentionDeleted: counterVec("herald_retention_deleted_total", "Rows the retention job deleted, by kind (events, items).", "kind"),
		PollSeconds: histogram("herald_poll_duration_seconds", "Time to poll one feed.",
			[]float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
		ClusterSeconds: histogram("herald_cluster_duration_seconds", "Time to cluster one batch of items.",
			[]float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
		DigestSendSeconds: histogram("herald_digest_send_duration_seconds", "Time to deliver one digest over SMTP.",
			[]float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}),
		reg: prometheus.NewRegistry(),
	}
	m.reg.MustRegister(m.Polls, m.ItemsStored, m.EventsOpened, m.EventsGrown, m.ClusterHeld, m.HTTPRequests, m.ConfigReloads,
		m.RetentionDeleted, m.PollSeconds, m.ClusterSeconds, m.DigestSendSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if state != nil {
		m.reg.MustRegister(newStoreCollector(state, cacheFor, time.Now, log))
	}
	// A store gauge that fails to read is left out and the rest served:
	// a missing series is how Prometheus shows a failing source.
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	})
	return m
}

// ServeHTTP serves /metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	m.handler.ServeHTTP(w, r)
}

// Registry is where the series are registered, for tests that gather them.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest counts one HTTP request by route pattern and status.
func (m *Metrics) ObserveRequest(route string, status int) {
	m.HTTPRequests.WithLabelValues(route, strconv.Itoa(status)).Inc()
}

func counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func histogram(name, help string, buckets []float64) prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
}
