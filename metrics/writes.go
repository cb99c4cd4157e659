package metrics

import "github.com/prometheus/client_golang/prometheus"

// Writes is this process's record of its store writes. Unlike StoreState
// it is not the database's state but what this instance saw, held in
// memory: read at every scrape, never cached, and served even when the
// database cannot be read.
type Writes struct {
	Backend  string // the store's dialect: sqlite or postgres
	Writable bool   // the last write went through (or none failed yet)
	Failures int    // writes refused for lack of storage since the store was opened
}

var (
	writableDesc = prometheus.NewDesc("herald_store_writable",
		"1 while the store's last write went through, 0 while it cannot write (a full disk: see /readyz and the log).",
		[]string{"backend"}, nil)
	writeFailuresDesc = prometheus.NewDesc("herald_store_write_failures",
		"Writes the store refused for lack of storage since the daemon started (a count that only grows).",
		[]string{"backend"}, nil)
)

// WatchWrites adds the gauges herald_store_writable and
// herald_store_write_failures, read from writes at every scrape.
func (m *Metrics) WatchWrites(writes func() Writes) {
	m.reg.MustRegister(writesCollector(writes))
}

type writesCollector func() Writes

func (c writesCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- writableDesc
	ch <- writeFailuresDesc
}

func (c writesCollector) Collect(ch chan<- prometheus.Metric) {
	w := c()
	writable := 0.0
	if w.Writable {
		writable = 1
	}
	ch <- prometheus.MustNewConstMetric(writableDesc, prometheus.GaugeValue, writable, w.Backend)
	ch <- prometheus.MustNewConstMetric(writeFailuresDesc, prometheus.GaugeValue, float64(w.Failures), w.Backend)
}
