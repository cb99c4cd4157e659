package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"herald/config"
	"herald/feeds"
	"herald/store"
	"herald/web"
)

func cmdFeeds(ctx context.Context, e *env, args []string) error {
	fs := e.flags("feeds")
	asJSON := fs.Bool("json", false, "print JSON (the schema of /feeds.json) instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return flagErr(err)
	}
	cfg, _, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	// The feeds of config.yaml show from the moment it is loaded, before
	// their first poll.
	if err := syncConfig(ctx, cfg, st); err != nil {
		return err
	}
	list, err := st.Feeds(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	if *asJSON {
		rows := make([]web.FeedHealth, 0, len(list))
		for _, f := range list {
			rows = append(rows, web.NewFeedHealth(f, now))
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	leases, err := st.Leases(ctx, now)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tTOPICS\tSTATUS\tFAILURES\tNEXT POLL\tITEMS KEPT\tPOLLED BY\tLAST ERROR")
	for _, f := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", f.URL, strings.Join(f.Topics, ","), f.Health(now),
			f.Failures, nextPoll(f, now), f.ItemCount, leaseHolder(leases, f.ID),
			oneLine(strings.TrimPrefix(f.LastError, "fetch "+f.URL+": "), 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintf(e.stdout, "no feeds: add some under topics in %s, or with `herald add URL --topic T`\n", cfg.Path())
	}
	return printInstances(ctx, e, st, now)
}

// leaseHolder names the instance polling a feed right now, if any.
func leaseHolder(leases map[int64]store.Lease, id int64) string {
	if l, ok := leases[id]; ok {
		return l.Owner
	}
	return "-"
}

// printInstances lists the daemons seen in the last few heartbeats: which
// one leads (clustering) and how many feeds each is polling.
func printInstances(ctx context.Context, e *env, st *store.Store, now time.Time) error {
	list, err := st.Instances(ctx, now.Add(-4*store.HeartbeatEvery), now)
	if err != nil || len(list) == 0 {
		return err
	}
	fmt.Fprintln(e.stdout, "\nINSTANCES (herald run)")
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tPOLLING\tSTARTED\tLAST SEEN")
	for _, in := range list {
		role := "poller"
		if in.Leader {
			role = "leader (clustering)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d feeds\t%s\t%s ago\n", in.ID, role, in.Leases,
			in.Started.Local().Format(time.DateTime), now.Sub(in.Seen).Round(time.Second))
	}
	return tw.Flush()
}

// nextPoll is when f is polled next: "due" once that time has come (at
// its topic's next pass), never a time in the past.
func nextPoll(f feeds.Feed, now time.Time) string {
	switch {
	case f.Disabled:
		return "never (gone)"
	case !f.NextPoll.After(now):
		return "due"
	}
	return f.NextPoll.Local().Format(time.DateTime)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		return s[:max-1] + "…"
	}
	return s
}

func cmdAdd(ctx context.Context, e *env, args []string) error {
	fs := e.flags("add")
	topic := fs.String("topic", "", "topic to add the feed to (required; must be in the config)")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	if fs.NArg() != 1 || *topic == "" {
		fs.Usage()
		return fmt.Errorf("add needs one URL and --topic")
	}
	cfg, _, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if !hasTopic(cfg, *topic) {
		return fmt.Errorf("no topic %q in %s: add it under topics first", *topic, cfg.Path())
	}
	links, err := feeds.Discover(ctx, newPoller(cfg, st, nil).Fetcher, fs.Arg(0))
	if err != nil {
		return err
	}
	prev, err := st.FeedByURL(ctx, links[0].URL)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if slices.Contains(prev.Topics, *topic) && !prev.Disabled {
		fmt.Fprintf(e.stdout, "already subscribed: %s (topic %s); nothing changed\n", prev.URL, strings.Join(prev.Topics, ", "))
		return nil
	}
	f, err := st.AddFeed(ctx, store.FeedSpec{URL: links[0].URL, Title: links[0].Title, Topic: *topic}, store.OriginCLI, time.Now())
	if err != nil {
		return err
	}
	switch {
	case prev.Disabled:
		fmt.Fprintf(e.stdout, "re-enabled %s in topic %s (it had answered 410 Gone); it is polled at the next pass\n", f.URL, *topic)
	case len(prev.Topics) > 0:
		fmt.Fprintf(e.stdout, "added %s to topic %s (already subscribed in topic %s)\n", f.URL, *topic, strings.Join(prev.Topics, ", "))
	default:
		fmt.Fprintf(e.stdout, "added %s to topic %s\n", f.URL, *topic)
	}
	for _, l := range links[1:] {
		fmt.Fprintf(e.stdout, "also offered: %s (%s)\n", l.URL, l.Title)
	}
	return nil
}

func hasTopic(cfg *Config, name string) bool {
	for _, t := range cfg.Topics {
		if t.Name == name {
			return true
		}
	}
	return false
}

// reorder moves flags before positional arguments, so that both
// `add URL --topic T` and `add --topic T URL` work with package flag.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a):
			flags = append(flags, a, args[i+1])
			i++
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
		default:
			pos = append(pos, a)
		}
	}
	return append(flags, pos...)
}

func isBoolFlag(a string) bool {
	switch strings.TrimLeft(a, "-") {
	case "help", "h", "all", "json":
		return true
	}
	return false
}

func cmdCheckConfig(ctx context.Context, e *env, args []string) error {
	fs := e.flags("check-config")
	if err := parseFlags(fs, args); err != nil {
		return flagErr(err)
	}
	cfg, err := LoadConfig(e.configPath, e.getenv)
	if err != nil {
		return err
	}
	out, err := cfg.Masked()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "# %s is valid. Effective configuration (defaults filled, secrets masked):\n", cfg.Path())
	// The settings' warnings, then the feeds Herald would refuse to poll
	// (host names resolved: only here, start does not wait on DNS). The
	// two judge different keys, so no warning is printed twice.
	for _, w := range slices.Concat(cfg.Warnings(), cfg.FeedAddressWarnings(ctx, config.LookupHost)) {
		fmt.Fprintf(e.stdout, "# warning: %s\n", w)
	}
	fmt.Fprintf(e.stdout, "# Retention: events last updated more than %s ago are deleted with their items, daily and at\n"+
		"# start; items published before then are not stored. Digests and what they listed are kept.\n",
		formatDays(time.Duration(cfg.Retention)))
	_, err = e.stdout.Write(out)
	return err
}
