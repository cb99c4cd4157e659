package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"herald/config"
	"herald/feeds"
	"herald/store"
)

// newPoller copies the poll settings of the configuration into a Poller.
func newPoller(cfg *Config, st *store.Store, log *slog.Logger) *feeds.Poller {
	filters := map[string]feeds.Filter{}
	for _, t := range cfg.Topics {
		filters[t.Name] = feeds.Filter{Include: t.Include, Exclude: t.Exclude}
	}
	return &feeds.Poller{
		Fetcher: &feeds.Fetcher{
			UserAgent: cfg.Poll.UserAgent,
			Timeout:   time.Duration(cfg.Poll.Timeout),
			MaxBytes:  int64(cfg.Poll.MaxBodyMB) << 20,
			Allow:     cfg.Poll.Allowed(),
		},
		Store:   store.Retaining{Store: st, Keep: time.Duration(cfg.Retention)},
		Workers: cfg.Poll.Workers,
		PerHost: cfg.Poll.PerHost,
		Filters: filters,
		Parse:   feeds.ParseOptions{TrackingParams: cfg.Poll.TrackingParams, MaxAge: time.Duration(cfg.Retention)},
		Log:     log,
	}
}

// syncConfig makes the store's config feeds match config.yaml, and when
// the fetch settings changed since the last sync, retries the failing
// feeds at once: the change may be what fixes them.
func syncConfig(ctx context.Context, cfg *Config, st *store.Store) error {
	var specs []store.FeedSpec
	for _, t := range cfg.Topics {
		for _, f := range t.Feeds {
			specs = append(specs, store.FeedSpec{URL: f.URL, Title: f.Title, Topic: t.Name})
		}
	}
	if err := st.SyncFeeds(ctx, store.OriginConfig, specs, time.Now()); err != nil {
		return fmt.Errorf("sync feeds from %s: %w", cfg.Path(), err)
	}
	_, err := st.RetryOnNewSettings(ctx, cfg.Poll.FetchSettings())
	return err
}

func cmdPoll(ctx context.Context, e *env, args []string) error {
	fs := e.flags("poll")
	topic := fs.String("topic", "", "poll only this topic's feeds")
	feedURL := fs.String("feed", "", "poll only this feed (by URL)")
	all := fs.Bool("all", false, "poll every enabled feed now, even those not due yet")
	if err := parseFlags(fs, args); err != nil {
		return flagErr(err)
	}
	cfg, log, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if *topic != "" && !hasTopic(cfg, *topic) {
		return fmt.Errorf("no topic %q in %s: use one of %s", *topic, cfg.Path(), strings.Join(topicNames(cfg), ", "))
	}
	if err := syncConfig(ctx, cfg, st); err != nil {
		return err
	}
	// A one-off poll behaves like one more instance: it leases what it
	// polls, so daemons sharing the database leave those feeds alone, and
	// clusters only if no daemon leads.
	coord := store.NewCoordinator(st, log, time.Duration(cfg.Poll.Lease), time.Now())
	defer coord.Stop(context.WithoutCancel(ctx))
	due, err := pollTargets(ctx, st, coord, *topic, *feedURL, *all)
	if err != nil {
		return err
	}
	if len(due) == 0 {
		return printNothingDue(ctx, e, st, *topic)
	}
	defer coord.Renewing(ctx, due)()
	bar := newProgress(e.stderr, len(due), isTerminal(e.stderr))
	// The summary lists each failure: the poller's own warnings would say
	// it twice (they stay in the log at debug level).
	quiet := log
	if cfg.Log.Level != "debug" {
		quiet = newLogger(config.LogConfig{Format: cfg.Log.Format, Level: "error"}, e.stderr)
	}
	// The leader places items while later feeds are fetched.
	leader, _ := coord.LeadFresh(ctx)
	placer := newPlacer(st, log, time.Duration(cfg.Poll.ClusterWin))
	placer.MaxHeld = cfg.Poll.ClusterMax
	pl := startPlacing(ctx, func(ctx context.Context) error {
		if !leader {
			return nil
		}
		_, err := placer.Place(ctx)
		return err
	})
	results := newPoller(cfg, st, quiet).PollAll(ctx, due, func(feeds.Result) { bar.step(); pl.nudge() })
	bar.done()
	if err := pl.finish(); err != nil && ctx.Err() == nil { // an interrupted poll still prints what it did
		return err
	}
	if leader && keptLead(ctx, coord) { // not if another instance led meanwhile
		saveClustering(ctx, placer, log)
	}
	if !leader {
		fmt.Fprintln(e.stdout, "another Herald instance leads clustering: it places the new items")
	}
	if failed := printSummary(e.stdout, results); failed == len(results) && ctx.Err() == nil {
		return fmt.Errorf("every feed polled failed (%d, listed above)", failed)
	}
	return ctx.Err()
}

// printNothingDue says why a poll found nothing to do, and how to poll anyway.
func printNothingDue(ctx context.Context, e *env, st *store.Store, topic string) error {
	w, err := st.WaitingFeeds(ctx, topic, time.Now())
	if err != nil {
		return err
	}
	var parts []string
	if w.Backoff > 0 {
		parts = append(parts, fmt.Sprintf("%d in backoff after failures until %s", w.Backoff, clock(w.BackoffUntil)))
	}
	if w.Later > 0 {
		parts = append(parts, fmt.Sprintf("%d not due until %s", w.Later, clock(w.LaterUntil)))
	}
	if len(parts) == 0 {
		fmt.Fprintln(e.stdout, "0 feeds due: no enabled feeds to poll (see `herald feeds`)")
		return nil
	}
	fmt.Fprintf(e.stdout, "0 feeds due; %s — use --all to poll them now\n", strings.Join(parts, ", "))
	return nil
}

// clock writes t for a person: the time of day today, else the date too.
func clock(t time.Time) string {
	t, now := t.Local(), time.Now()
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func topicNames(cfg *Config) []string {
	names := make([]string, len(cfg.Topics))
	for i, t := range cfg.Topics {
		names[i] = t.Name
	}
	return names
}

// pollTargets leases the feeds to poll: the due ones, every enabled one
// with all, or the one feed named by feedURL.
func pollTargets(ctx context.Context, st *store.Store, coord *store.Coordinator, topic, feedURL string, all bool) ([]feeds.Feed, error) {
	now := time.Now()
	pass := now
	if all || feedURL != "" {
		pass = now.Add(100 * 365 * 24 * time.Hour) // everything is due
	}
	due, err := st.LeaseDueFeeds(ctx, store.LeaseQuery{Owner: coord.ID(), Topic: topic, URL: feedURL,
		Pass: pass, Now: now, Lease: coord.Lease(), Limit: 1 << 30})
	if err == nil && feedURL != "" && len(due) == 0 {
		err = fmt.Errorf("feed %s is not subscribed, is disabled, or another instance is polling it: add it with `herald add %s --topic T`", feedURL, feedURL)
	}
	return due, err
}

// printSummary writes the table `herald poll` ends with, each failure
// once, and returns how many feeds failed.
func printSummary(w io.Writer, results []feeds.Result) int {
	var ok, notModified, failed, newItems int
	for _, r := range results {
		switch {
		case r.Err != nil:
			failed++
		case r.Status == feeds.StatusNotModified:
			notModified++
		default:
			ok++
		}
		newItems += r.Saved.New
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "feeds\tok\tnot modified\tfailed\tnew items")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\n", len(results), ok, notModified, failed, newItems)
	tw.Flush()
	for _, r := range results {
		if r.Err != nil {
			msg := strings.TrimPrefix(r.Err.Error(), "fetch "+r.Feed.URL+": ")
			fmt.Fprintf(w, "failed: %s: %s\n", feeds.RedactURL(r.Feed.URL), feeds.RedactText(msg, r.Feed.URL))
		}
		if r.Dropped > 0 {
			fmt.Fprintf(w, "cut: %s: kept its newest %d items, left out %d older ones\n", feeds.RedactURL(r.Feed.URL), feeds.MaxItems, r.Dropped)
		}
	}
	return failed
}

// progress draws a one-line bar on a terminal and nothing elsewhere.
type progress struct {
	w      io.Writer
	n, max int
	on     bool
}

func newProgress(w io.Writer, max int, on bool) *progress {
	return &progress{w: w, max: max, on: on && max > 0}
}

func (p *progress) step() {
	p.n++
	if !p.on {
		return
	}
	const width = 30
	filled := p.n * width / p.max
	fmt.Fprintf(p.w, "\r[%-*s] %d/%d feeds", width, strings.Repeat("=", filled), p.n, p.max)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}
