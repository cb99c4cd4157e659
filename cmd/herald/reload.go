package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"herald/feeds"
)

// live is what a config reload replaces in one step: the configuration and
// the parts built from it. Every task reads it once (daemon.cur) and works
// with that version to its end, so a task never mixes two configs.
type live struct {
	cfg     *Config
	poller  *feeds.Poller
	digests *digester // nil without subscribers
	web     http.Handler
}

// build makes the parts of a configuration. prev is the version it
// replaces (nil at start): the digester keeps its identity across reloads,
// so its claims on outbox rows stay its own.
func (d *daemon) build(ctx context.Context, cfg *Config, prev *live) (*live, error) {
	l := &live{cfg: cfg, poller: newPoller(cfg, d.store, d.log)}
	if len(cfg.Subscribers) > 0 {
		g, err := newDigester(ctx, d.env, cfg, d.log, d.store)
		if err != nil {
			return nil, err
		}
		if prev != nil && prev.digests != nil {
			g.desk.ID = prev.digests.desk.ID
		}
		if d.metrics != nil {
			g.desk.Observe = func(took time.Duration) { d.metrics.DigestSendSeconds.Observe(took.Seconds()) }
		}
		l.digests = g
	}
	l.web = d.webHandler(cfg, l.digests)
	return l, nil
}

// restartOnly are the keys a reload cannot change in a running daemon: the
// database, the listener, the logger, the clustering window and bound (the
// deduplicator's memory is built for them) and the lease length (other
// instances count on it). Each entry copies the running value into the
// new config and reports whether the file had changed it.
var restartOnly = []struct {
	key  string
	keep func(old, next *Config) (changed bool)
}{
	{"storage", func(o, n *Config) bool { return keep(&n.Storage, o.Storage) }},
	{"http.listen", func(o, n *Config) bool { return keep(&n.HTTP.Listen, o.HTTP.Listen) }},
	{"log", func(o, n *Config) bool { return keep(&n.Log, o.Log) }},
	{"poll.cluster_window", func(o, n *Config) bool { return keep(&n.Poll.ClusterWin, o.Poll.ClusterWin) }},
	{"poll.cluster_max_items", func(o, n *Config) bool { return keep(&n.Poll.ClusterMax, o.Poll.ClusterMax) }},
	{"poll.lease", func(o, n *Config) bool { return keep(&n.Poll.Lease, o.Poll.Lease) }},
}

// keep sets *field to running and reports whether it held another value.
func keep[T comparable](field *T, running T) bool {
	changed := *field != running
	*field = running
	return changed
}

// keepRunning keeps the running values of the restart-only keys in next
// and returns the keys whose new values wait for a restart.
func keepRunning(old, next *Config) []string {
	var changed []string
	for _, k := range restartOnly {
		if k.keep(old, next) {
			changed = append(changed, k.key)
		}
	}
	return changed
}

// reload re-reads the config file (on SIGHUP) and puts its topics, feeds,
// subscribers and poll, mail and digest settings in effect. Nothing
// changes unless the whole file is valid: a bad reload returns the error
// and the running config stays. Passes and digest steps already running
// finish with the config they started with.
func (d *daemon) reload(ctx context.Context) error {
	cfg, err := LoadConfig(d.env.configPath, d.env.getenv)
	if err != nil {
		return err
	}
	logWarnings(d.log, cfg)
	old := d.cur()
	for _, key := range keepRunning(old.cfg, cfg) {
		d.log.Warn("config key changed: it takes effect at the next restart", "key", key, "config", cfg.Path())
	}
	next, err := d.build(ctx, cfg, old)
	if err != nil {
		return err
	}
	if err := syncConfig(ctx, cfg, d.store); err != nil {
		return err
	}
	if err := d.scheduleTopics(ctx, cfg.Topics); err != nil {
		return fmt.Errorf("%w (the feeds were updated; the topic schedules were not)", err)
	}
	d.live.Store(next)
	select { // the digest loop sleeps by the old schedules
	case d.wake <- struct{}{}:
	default:
	}
	d.log.Info("config reloaded", "config", cfg.Path(), "topics", len(cfg.Topics),
		"feeds", countFeeds(cfg), "subscribers", len(cfg.Subscribers))
	d.startPass(ctx, "") // new feeds are due at once, as at start
	return nil
}

func countFeeds(cfg *Config) int {
	n := 0
	for _, t := range cfg.Topics {
		n += len(t.Feeds)
	}
	return n
}
