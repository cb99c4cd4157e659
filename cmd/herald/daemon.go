package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"herald/feeds"
	"herald/store"
	"herald/web"
)

// shutdownGrace is how long in-flight polls and HTTP requests may take to
// finish after a stop signal before they are cancelled.
const shutdownGrace = 10 * time.Second

// daemon owns the long-running parts of `herald run` and stops them in a
// fixed order: scheduler, polls, HTTP server, store.
type daemon struct {
	cfg    *Config
	log    *slog.Logger
	store  *store.Store
	poller *feeds.Poller
	dedup  *deduper

	passMu sync.Mutex     // one poll pass at a time: a feed in two topics is never polled twice at once
	jobs   sync.WaitGroup // running passes
}

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := e.flags("run")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	cfg, log, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close() // last: after the scheduler, the polls and the HTTP server
	if err := syncConfig(ctx, cfg, st); err != nil {
		return err
	}
	d := &daemon{cfg: cfg, log: log, store: st, poller: newPoller(cfg, st, log),
		dedup: &deduper{store: st, log: log, window: time.Duration(cfg.Poll.ClusterWin)}}
	return d.run(ctx)
}

func (d *daemon) run(ctx context.Context) error {
	// Polls get their own context: a stop signal lets them finish (up to
	// shutdownGrace) instead of cutting every fetch at once.
	pollCtx, cancelPolls := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPolls()

	sched, err := d.schedule(pollCtx)
	if err != nil {
		return err
	}
	srv, ln, err := d.listen()
	if err != nil {
		return err
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	sched.Start()
	d.startPass(pollCtx, "") // catch up at start: every due feed, every topic
	d.log.Info("herald running", "listen", ln.Addr().String(), "topics", len(d.cfg.Topics), "storage", d.cfg.Storage)

	select {
	case <-ctx.Done():
	case err = <-httpErr:
		err = fmt.Errorf("http server: %w", err)
	}
	d.log.Info("shutting down")
	d.stop(sched, cancelPolls, srv)
	return err
}

// stop runs the shutdown order. A second signal is not needed: every step
// is bounded by shutdownGrace.
func (d *daemon) stop(sched *cron.Cron, cancelPolls context.CancelFunc, srv *http.Server) {
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

// schedule adds one cron job per topic. Each job polls the topic's due feeds.
func (d *daemon) schedule(ctx context.Context) (*cron.Cron, error) {
	sched := cron.New(cron.WithParser(cronParser), cron.WithLocation(time.UTC))
	for _, t := range d.cfg.Topics {
		if _, err := sched.AddFunc(t.Schedule, func() { d.startPass(ctx, t.Name) }); err != nil {
			return nil, fmt.Errorf("topic %s: schedule %q: %w", t.Name, t.Schedule, err)
		}
	}
	return sched, nil
}

// startPass polls the due feeds of topic ("" for all) in the background and
// clusters what they brought.
func (d *daemon) startPass(ctx context.Context, topic string) {
	d.jobs.Add(1)
	go func() {
		defer d.jobs.Done()
		d.passMu.Lock()
		defer d.passMu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if err := d.pass(ctx, topic); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("poll pass failed", "topic", topic, "error", err)
		}
	}()
}

func (d *daemon) pass(ctx context.Context, topic string) error {
	due, err := d.store.DueFeeds(ctx, topic, time.Now())
	if err != nil || len(due) == 0 {
		return err
	}
	start := time.Now()
	results := d.poller.PollAll(ctx, due, nil)
	var failed, newItems int
	for _, r := range results {
		newItems += r.Saved.New
		if r.Err != nil {
			failed++
		}
	}
	d.log.Info("poll pass", "topic", topic, "feeds", len(results), "failed", failed,
		"new_items", newItems, "duration_ms", time.Since(start).Milliseconds())
	_, err = d.dedup.placeNew(ctx)
	return err
}

func (d *daemon) listen() (*http.Server, net.Listener, error) {
	ln, err := net.Listen("tcp", d.cfg.HTTP.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w (change http.listen in %s)", d.cfg.HTTP.Listen, err, d.cfg.path)
	}
	srv := &http.Server{
		Handler:           web.New(d.store),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	return srv, ln, nil
}
