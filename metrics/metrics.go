// Package metrics counts what Herald does and writes the counts in the
// Prometheus text exposition format (version 0.0.4), for /metrics.
//
// It is written on the standard library alone: a handful of counters and
// two histograms do not need a client library, and every value lives in a
// Metrics value created by main and passed to whoever records into it (no
// global registry).
package metrics

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metrics is every series Herald exposes.
type Metrics struct {
	Polls          *Counter   // feed polls, by result (ok, not_modified, error, gone)
	ItemsStored    *Counter   // new items stored
	EventsOpened   *Counter   // events the deduplicator opened
	EventsGrown    *Counter   // docs that joined an existing event
	HTTPRequests   *Counter   // requests served, by route and status
	ConfigReloads  *Counter   // config reloads on SIGHUP, by result (ok, failed)
	PollSeconds    *Histogram // duration of one feed's poll
	ClusterSeconds *Histogram // duration of one clustering batch

	mu     sync.Mutex
	gauges []*GaugeFunc // read at scrape time, e.g. digests by status
}

// New makes an empty set of metrics.
func New() *Metrics {
	return &Metrics{
		Polls:          NewCounter("herald_polls_total", "Feed polls by result.", "result"),
		ItemsStored:    NewCounter("herald_items_stored_total", "New items stored."),
		EventsOpened:   NewCounter("herald_events_opened_total", "Events opened by the deduplicator."),
		EventsGrown:    NewCounter("herald_events_grown_total", "Items that joined an existing event."),
		HTTPRequests:   NewCounter("herald_http_requests_total", "HTTP requests by route and status.", "route", "status"),
		ConfigReloads:  NewCounter("herald_config_reloads_total", "Config reloads on SIGHUP by result.", "result"),
		PollSeconds:    NewHistogram("herald_poll_duration_seconds", "Time to poll one feed.", []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
		ClusterSeconds: NewHistogram("herald_cluster_duration_seconds", "Time to cluster one batch of items.", []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}),
	}
}

// AddGauge registers a gauge whose values are read when /metrics is scraped.
func (m *Metrics) AddGauge(g *GaugeFunc) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gauges = append(m.gauges, g)
}

// WriteText writes every series in the text exposition format. A gauge
// that fails to read is left out and its error returned after the rest.
func (m *Metrics) WriteText(ctx context.Context, w io.Writer) error {
	var b strings.Builder
	for _, c := range []*Counter{m.Polls, m.ItemsStored, m.EventsOpened, m.EventsGrown, m.HTTPRequests, m.ConfigReloads} {
		c.write(&b)
	}
	m.PollSeconds.write(&b)
	m.ClusterSeconds.write(&b)
	m.mu.Lock()
	gauges := slices.Clone(m.gauges)
	m.mu.Unlock()
	var errs []error
	for _, g := range gauges {
		if err := g.write(ctx, &b); err != nil {
			errs = append(errs, fmt.Errorf("metric %s: %w", g.name, err))
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// ServeHTTP serves /metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Gauge errors are not fatal: the counters are still worth scraping,
	// and a missing series is how Prometheus shows a failing source.
	_ = m.WriteText(ctx, w)
}

// Counter is a monotonically increasing value per combination of labels.
type Counter struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64 // by joined label values
}

// NewCounter makes a counter with the given label names.
func NewCounter(name, help string, labels ...string) *Counter {
	return &Counter{name: name, help: help, labels: labels, values: map[string]float64{}}
}

// Add adds v (≥ 0) to the series named by labelValues, given in the order
// of the counter's labels.
func (c *Counter) Add(v float64, labelValues ...string) {
	if c == nil || v < 0 || len(labelValues) != len(c.labels) {
		return
	}
	key := strings.Join(labelValues, "\xff")
	c.mu.Lock()
	c.values[key] += v
	c.mu.Unlock()
}

// Inc adds one.
func (c *Counter) Inc(labelValues ...string) { c.Add(1, labelValues...) }

// Value returns the current value of one series.
func (c *Counter) Value(labelValues ...string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[strings.Join(labelValues, "\xff")]
}

func (c *Counter) write(b *strings.Builder) {
	header(b, c.name, c.help, "counter")
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.labels) == 0 {
		sample(b, c.name, nil, nil, c.values[""])
		return
	}
	keys := make([]string, 0, len(c.values))
	for k := range c.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sample(b, c.name, c.labels, strings.Split(k, "\xff"), c.values[k])
	}
}

// Histogram counts observations into cumulative buckets.
type Histogram struct {
	name, help string
	bounds     []float64
	mu         sync.Mutex
	counts     []uint64 // per bound, not cumulative; last is +Inf
	sum        float64
}

// NewHistogram makes a histogram with the given upper bounds, ascending.
func NewHistogram(name, help string, bounds []float64) *Histogram {
	return &Histogram{name: name, help: help, bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// Observe records one value.
func (h *Histogram) Observe(v float64) {
	if h == nil {
		return
	}
	i, _ := slices.BinarySearch(h.bounds, v) // first bound ≥ v
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.mu.Unlock()
}

// ObserveSince records the seconds elapsed since start.
func (h *Histogram) ObserveSince(start time.Time) { h.Observe(time.Since(start).Seconds()) }

func (h *Histogram) write(b *strings.Builder) {
	header(b, h.name, h.help, "histogram")
	h.mu.Lock()
	defer h.mu.Unlock()
	var cum uint64
	for i, c := range h.counts {
		cum += c
		le := math.Inf(1)
		if i < len(h.bounds) {
			le = h.bounds[i]
		}
		sample(b, h.name+"_bucket", []string{"le"}, []string{formatFloat(le)}, float64(cum))
	}
	sample(b, h.name+"_sum", nil, nil, h.sum)
	sample(b, h.name+"_count", nil, nil, float64(cum))
}

// GaugeFunc is a gauge with one label whose values come from a function
// called at scrape time, e.g. digests in the outbox by status.
type GaugeFunc struct {
	name, help, label string
	read              func(ctx context.Context) (map[string]float64, error)
}

// NewGaugeFunc makes a gauge read by read at each scrape.
func NewGaugeFunc(name, help, label string, read func(ctx context.Context) (map[string]float64, error)) *GaugeFunc {
	return &GaugeFunc{name: name, help: help, label: label, read: read}
}

func (g *GaugeFunc) write(ctx context.Context, b *strings.Builder) error {
	vals, err := g.read(ctx)
	if err != nil {
		return err
	}
	header(b, g.name, g.help, "gauge")
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		sample(b, g.name, []string{g.label}, []string{k}, vals[k])
	}
	return nil
}

func header(b *strings.Builder, name, help, typ string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func sample(b *strings.Builder, name string, labels, values []string, v float64) {
	b.WriteString(name)
	if len(labels) > 0 {
		b.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s=\"%s\"", l, escapeLabel(values[i]))
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ObserveRequest counts one HTTP request by route pattern and status.
func (m *Metrics) ObserveRequest(route string, status int) {
	m.HTTPRequests.Inc(route, strconv.Itoa(status))
}
