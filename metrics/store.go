package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StoreState is what the store gauges show: the database's state at one
// moment, read when /metrics is scraped.
type StoreState struct {
	Feeds         map[string]int // feeds by status: ok, failing, backoff, disabled, never_polled
	AllOld        int            // feeds whose last document listed only items older than the retention period
	Items         int            // items stored
	OpenEvents    int            // events still open for new reports
	OldestItem    time.Time      // when the oldest stored item was first seen; zero when none
	Digests       map[string]int // outbox digests by status: pending, sent, maybe_sent, failed, empty, cancelled
	OldestPending time.Time      // when the oldest pending digest was rendered; zero when none
	// Unconfirmed counts, by status, the digests an attempt handed to the
	// SMTP server without getting an answer.
	Unconfirmed map[string]int
}

// StateFunc reads the store's state as of now.
type StateFunc func(ctx context.Context, now time.Time) (StoreState, error)

// The label values every scrape shows, zero or not, so that a series
// exists before its first feed or digest.
var (
	FeedStatuses   = []string{"ok", "failing", "backoff", "disabled", "never_polled"}
	DigestStatuses = []string{"pending", "sent", "maybe_sent", "failed", "empty", "cancelled"}
)

var (
	feedsDesc = prometheus.NewDesc("herald_feeds", "Subscribed feeds by status: ok, failing (last poll failed, due for a retry), "+
		"backoff (last poll failed, waiting), disabled (gone), never_polled.", []string{"status"}, nil)
	allOldDesc = prometheus.NewDesc("herald_feeds_all_old", "Feeds whose last document listed only items older than "+
		"the retention period, so nothing of it was stored (not an error: the publisher has posted nothing recent).", nil, nil)
	itemsDesc       = prometheus.NewDesc("herald_items", "Items in the store.", nil, nil)
	openDesc        = prometheus.NewDesc("herald_events_open", "Events still open for new reports (updated within poll.cluster_window).", nil, nil)
	oldestItemDesc  = prometheus.NewDesc("herald_oldest_item_age_seconds", "Age of the oldest stored item (since first seen); 0 when none.", nil, nil)
	digestsDesc     = prometheus.NewDesc("herald_digests", "Digests in the outbox by status.", []string{"status"}, nil)
	pendingDesc     = prometheus.NewDesc("herald_oldest_pending_digest_age_seconds", "Age of the oldest digest waiting to be sent; 0 when none.", nil, nil)
	unconfirmedDesc = prometheus.NewDesc("herald_digests_unconfirmed",
		"Digests an attempt handed to the SMTP server without an answer, by status (sent again at most once; maybe_sent: not again).",
		[]string{"status"}, nil)
)

// storeDescs are the series a storeCollector exports.
var storeDescs = []*prometheus.Desc{feedsDesc, allOldDesc, itemsDesc, openDesc, oldestItemDesc, digestsDesc, pendingDesc, unconfirmedDesc}

// storeCollector reads the store gauges, at most once per cacheFor: a
// scrape every second from several Prometheus servers costs one read.
type storeCollector struct {
	read     StateFunc
	cacheFor time.Duration
	now      func() time.Time
	log      *slog.Logger

	mu     sync.Mutex
	readAt time.Time
	state  StoreState
	err    error
}

func newStoreCollector(read StateFunc, cacheFor time.Duration, now func() time.Time, log *slog.Logger) *storeCollector {
	return &storeCollector{read: read, cacheFor: cacheFor, now: now, log: log}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range storeDescs {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	s, err := c.get(now)
	if err != nil {
		for _, d := range storeDescs {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for _, st := range FeedStatuses {
		ch <- prometheus.MustNewConstMetric(feedsDesc, prometheus.GaugeValue, float64(s.Feeds[st]), st)
	}
	ch <- prometheus.MustNewConstMetric(allOldDesc, prometheus.GaugeValue, float64(s.AllOld))
	ch <- prometheus.MustNewConstMetric(itemsDesc, prometheus.GaugeValue, float64(s.Items))
	ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(s.OpenEvents))
	ch <- prometheus.MustNewConstMetric(oldestItemDesc, prometheus.GaugeValue, age(now, s.OldestItem))
	for _, st := range DigestStatuses {
		ch <- prometheus.MustNewConstMetric(digestsDesc, prometheus.GaugeValue, float64(s.Digests[st]), st)
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, age(now, s.OldestPending))
	for _, st := range DigestStatuses {
		ch <- prometheus.MustNewConstMetric(unconfirmedDesc, prometheus.GaugeValue, float64(s.Unconfirmed[st]), st)
	}
}

// get returns the cached state, reading it again once it is cacheFor old.
func (c *storeCollector) get(now time.Time) (StoreState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.readAt.IsZero() && now.Sub(c.readAt) < c.cacheFor && now.Sub(c.readAt) >= 0 {
		return c.state, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.state, c.err = c.read(ctx, now)
	c.readAt = now
	if c.err != nil {
		c.log.Warn("metrics: read the store gauges", "error", c.err)
	}
	return c.state, c.err
}

// age is how long ago t was, in seconds; 0 for a zero t.
func age(now, t time.Time) float64 {
	if t.IsZero() || t.After(now) {
		return 0
	}
	return now.Sub(t).Seconds()
}
