package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"herald/config"
	"herald/events"
	"herald/feeds"
	"herald/store"
)

// shutdownGrace is how long in-flight polls and HTTP requests may take to
// finish after a stop signal before they are cancelled.
const shutdownGrace = 10 * time.Second

// daemon owns the long-running parts of `herald run` and stops them in a
// fixed order: scheduler, polls, HTTP server, store.
type daemon struct {
	env    *env // where the config file is, re-read on SIGHUP
	log    *slog.Logger
	store  *store.Store
	placer *events.Placer
	coord  *store.Coordinator // leases and leadership when instances share a database
	nudges chan struct{}      // passes ask the clustering loop for a round (lease.go)

	live     atomic.Pointer[live] // the config and the parts built from it; a reload swaps them (reload.go)
	cron     *cron.Cron
	jobIDs   []cron.EntryID // the topics' jobs in cron, replaced by a reload
	wake     chan struct{}  // a reload wakes the digest loop
	webParts                // metrics and scheduler state for the web server (web.go)
	limits   httpLimits     // what one web client may hold (httpserver.go)

	passes passes         // one pass per topic at a time, ticks coalesced (passes.go)
	jobs   sync.WaitGroup // running passes and prunes

	clusterBehind atomic.Bool // clustering failed to write: polls wait until it catches up
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := e.flags("run")
	if err := parseFlags(fs, args); err != nil {
		return flagErr(err)
	}
	cfg, log, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close() // last: after the scheduler, the polls and the HTTP server
	// No DNS at start: check-config also judges host names.
	for _, w := range cfg.FeedAddressWarnings(ctx, nil) {
		log.Warn("config: " + w)
	}
	if err := syncConfig(ctx, cfg, st); err != nil {
		return err
	}
	if st.Dialect() == "sqlite" { // one daemon per file: leases of a killed run are void
		if err := st.ReleaseAllLeases(ctx); err != nil {
			return err
		}
	}
	placer := newPlacer(st, log, time.Duration(cfg.Poll.ClusterWin))
	placer.SnapshotEvery, placer.MaxHeld = snapshotEvery, cfg.Poll.ClusterMax
	d := &daemon{env: e, log: log, store: st, wake: make(chan struct{}, 1), limits: defaultHTTPLimits,
		placer: placer,
		coord:  store.NewCoordinator(st, log, time.Duration(cfg.Poll.Lease), time.Now())}
	d.instrument(cfg)
	l, err := d.build(ctx, cfg, nil)
	if err != nil {
		return err
	}
	d.live.Store(l)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	return d.run(ctx, hup)
}

// cur is the running configuration and the parts built from it. Read it
// once per task: a reload may replace it at any time.
func (d *daemon) cur() *live { return d.live.Load() }

func (d *daemon) run(ctx context.Context, hup <-chan os.Signal) error {
	// Polls get their own context: a stop signal lets them finish (up to
	// shutdownGrace) instead of cutting every fetch at once.
	pollCtx, cancelPolls := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPolls()

	sched, err := d.schedule(pollCtx)
	if err != nil {
		return err
	}
	cfg := d.cur().cfg
	srv, ln, err := d.listen()
	if err != nil {
		return err
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	beatCtx, stopBeat := context.WithCancel(pollCtx)
	beating := make(chan struct{})
	go func() { defer close(beating); d.coord.Beat(beatCtx) }()
	stopClustering := d.startClustering(ctx)
	sched.Start()
	d.running.Store(true)
	// Digests run beside the polls and stop before the store closes.
	stopDigests := d.startDigests(ctx)
	d.startPass(pollCtx, "") // catch up at start: every due feed, every topic
	d.startPrune(pollCtx)
	d.log.Info("herald running", "listen", ln.Addr().String(), "topics", len(cfg.Topics),
		"storage", d.store.Dialect(), "instance", d.coord.ID())

	err = d.serve(ctx, pollCtx, hup, httpErr)
	d.log.Info("shutting down")
	d.coord.Drain() // running passes finish their batch and lease no more
	stopDigests()
	d.stop(sched, cancelPolls, srv)
	stopClustering()
	stopBeat()
	<-beating
	d.coord.Stop(context.WithoutCancel(ctx)) // leases, leader lock, instance row
	return err
}

// serve waits for the end, reloading the config on each SIGHUP meanwhile.
func (d *daemon) serve(ctx, pollCtx context.Context, hup <-chan os.Signal, httpErr <-chan error) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-httpErr:
			return fmt.Errorf("http server: %w", err)
		case <-hup:
			result := "ok"
			if err := d.reload(pollCtx); err != nil {
				result = "failed"
				d.log.Error("config reload failed: the running config stays in effect", "config", d.env.configPath, "error", err)
			}
			d.metrics.ConfigReloads.WithLabelValues(result).Inc()
		}
	}
}

// stop runs the shutdown order. A second signal is not needed: every step
// is bounded by shutdownGrace.
func (d *daemon) stop(sched *cron.Cron, cancelPolls context.CancelFunc, srv *http.Server) {
	d.running.Store(false)
	<-sched.Stop().Done() // 1. no new passes; cron's own jobs only start passes
	done := make(chan struct{})
	go func() { d.jobs.Wait(); close(done) }()
	select { // 2. in-flight polls finish, or are cancelled
	case <-done:
	case <-time.After(shutdownGrace):
		d.log.Warn("cancelling polls still running", "after", shutdownGrace)
		cancelPolls()
		<-done
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil { // 3. HTTP
		d.log.Warn("http shutdown", "error", err)
	}
	// 4. the store is closed by cmdRun's defer.
}

// schedule makes the scheduler: one cron job per topic, each polling the
// topic's due feeds, and the daily prune.
func (d *daemon) schedule(ctx context.Context) (*cron.Cron, error) {
	d.cron = cron.New(cron.WithParser(config.CronParser), cron.WithLocation(time.UTC))
	if err := d.scheduleTopics(ctx, d.cur().cfg.Topics); err != nil {
		return nil, err
	}
	if _, err := d.cron.AddFunc("@daily", func() { d.startPrune(ctx) }); err != nil {
		return nil, fmt.Errorf("retention job: %w", err)
	}
	return d.cron, nil
}

// scheduleTopics replaces the topics' jobs (cron allows it while running).
func (d *daemon) scheduleTopics(ctx context.Context, topics []config.Topic) error {
	var ids []cron.EntryID
	for _, t := range topics {
		id, err := d.cron.AddFunc(t.Schedule, func() { d.startPass(ctx, t.Name) })
		if err != nil {
			for _, id := range ids {
				d.cron.Remove(id)
			}
			return fmt.Errorf("topic %s: schedule %q: %w", t.Name, t.Schedule, err)
		}
		ids = append(ids, id)
	}
	for _, id := range d.jobIDs {
		d.cron.Remove(id)
	}
	d.jobIDs = ids
	return nil
}

// startPass polls the due feeds of topic ("" for all) in the background and
// clusters what they brought. Topics are polled side by side, sharing the
// poller's workers; a tick that comes while its topic's pass runs makes
// one more pass after it, never a burst. A feed in two topics is never
// polled twice at once: a pass leases the feeds it polls.
func (d *daemon) startPass(ctx context.Context, topic string) {
	d.passes.start(topic, &d.jobs, func() {
		if ctx.Err() != nil {
			return
		}
		if err := d.pass(ctx, topic); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("poll pass failed", "topic", topic, "error", err)
		}
	})
}

// pass polls the due feeds this instance can lease (all of them on
// SQLite), then asks for a clustering round, which runs on the leader.
// While clustering could not store its decisions for lack of space, no
// feed is polled: new items would take the space it needs first.
func (d *daemon) pass(ctx context.Context, topic string) error {
	if d.clusterBehind.Load() {
		d.nudgeClustering()
		return nil
	}
	start := time.Now()
	l := d.cur()
	results, err := d.coord.PollLeased(ctx, l.poller, topic, 2*l.cfg.Poll.Workers, l.cfg.PassInterval(topic, start),
		func(feeds.Result) { d.nudgeClustering() })
	d.logPass(topic, results, start)
	d.nudgeClustering()
	return err
}

func (d *daemon) logPass(topic string, results []feeds.Result, start time.Time) {
	recordPolls(d.metrics, results)
	if len(results) == 0 {
		return
	}
	var failed, newItems int
	for _, r := range results {
		newItems += r.Saved.New
		if r.Err != nil {
			failed++
		}
	}
	d.log.Info("poll pass", "topic", topic, "feeds", len(results), "failed", failed,
		"new_items", newItems, "duration_ms", time.Since(start).Milliseconds(), "instance", d.coord.ID())
}

func (d *daemon) listen() (*http.Server, net.Listener, error) {
	cfg := d.cur().cfg
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w (change http.listen in %s)", cfg.HTTP.Listen, err, cfg.Path())
	}
	// Each request goes to the handler of the running config.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { d.cur().web.ServeHTTP(w, r) })
	srv, ln := newHTTPServer(ln, h, d.log, d.limits)
	return srv, ln, nil
}
