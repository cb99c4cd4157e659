package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"herald/feeds"
	"herald/store"
)

func cmdFeeds(ctx context.Context, e *env, args []string) error {
	fs := e.flags("feeds")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	_, _, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Feeds(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	now := time.Now()
	leases, err := st.Leases(ctx, now)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tTOPICS\tSTATUS\tFAILURES\tNEXT POLL\tITEMS\tPOLLED BY\tLAST ERROR")
	for _, f := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", f.URL, strings.Join(f.Topics, ","), status(f),
			f.Failures, nextPoll(f), f.ItemCount, leaseHolder(leases, f.ID),
			oneLine(strings.TrimPrefix(f.LastError, "fetch "+f.URL+": "), 80))
	}
	if err := tw.Flush(); err != nil {
		return err
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
	list, err := st.Instances(ctx, now.Add(-4*heartbeatEvery), now)
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

func status(f feeds.Feed) string {
	switch {
	case f.Disabled:
		return "disabled (gone)"
	case f.LastStatus == "":
		return "never polled"
	}
	return f.LastStatus
}

func nextPoll(f feeds.Feed) string {
	switch {
	case f.Disabled:
		return "never"
	case f.NextPoll.IsZero():
		return "next run"
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
		return fmt.Errorf("no topic %q in %s: add it under topics first", *topic, cfg.path)
	}
	links, err := feeds.Discover(ctx, newPoller(cfg, st, nil).Fetcher, fs.Arg(0))
	if err != nil {
		return err
	}
	f, err := st.AddFeed(ctx, store.FeedSpec{URL: links[0].URL, Title: links[0].Title, Topic: *topic}, store.OriginCLI, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "added %s to topic %s\n", f.URL, *topic)
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
	if err := fs.Parse(args); err != nil {
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
	fmt.Fprintf(e.stdout, "# %s is valid. Effective configuration (defaults filled, secrets masked):\n", cfg.path)
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(e.stdout, "# warning: %s\n", w)
	}
	_, err = e.stdout.Write(out)
	return err
}
