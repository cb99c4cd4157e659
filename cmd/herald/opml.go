package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"herald/feeds"
	"herald/store"
)

func cmdOPML(ctx context.Context, e *env, args []string) error {
	fs := e.flags("opml")
	topic := fs.String("topic", "", "import: topic for feeds outside any outline (must be in the config)")
	if err := fs.Parse(reorder(args)); err != nil {
		return flagErr(err)
	}
	switch {
	case fs.NArg() == 2 && fs.Arg(0) == "import":
		return opmlImport(ctx, e, fs.Arg(1), *topic)
	case fs.NArg() == 1 && fs.Arg(0) == "export":
		return opmlExport(ctx, e)
	}
	fs.Usage()
	return fmt.Errorf("opml takes `import FILE` or `export`")
}

func opmlImport(ctx context.Context, e *env, path, defaultTopic string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opml import: %w", err)
	}
	defer f.Close()
	list, skipped, err := feeds.ReadOPML(f)
	if err != nil {
		return fmt.Errorf("opml import %s: %w", path, err)
	}
	cfg, _, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if defaultTopic != "" && !hasTopic(cfg, defaultTopic) {
		return fmt.Errorf("opml import: no topic %q in %s: use one of %s", defaultTopic, cfg.Path(), strings.Join(topicNames(cfg), ", "))
	}
	specs := make([]store.FeedSpec, 0, len(list))
	for _, o := range list {
		topic := topicFor(cfg, o.Topic, defaultTopic)
		if topic == "" {
			return fmt.Errorf("opml import: feed %s is in the outline %q, which names no topic of %s: add the topic there (its name or title), or pass --topic T for such feeds (one of %s)",
				o.URL, o.Topic, cfg.Path(), strings.Join(topicNames(cfg), ", "))
		}
		specs = append(specs, store.FeedSpec{URL: o.URL, Title: o.Title, Topic: topic, SiteURL: o.SiteURL})
	}
	// One transaction: an import that fails part-way adds nothing.
	added, err := st.AddFeeds(ctx, specs, store.OriginCLI, time.Now())
	if err != nil {
		return fmt.Errorf("opml import %s: %w", path, err)
	}
	for _, s := range skipped {
		fmt.Fprintf(e.stdout, "skipped %q (%s): %s\n", s.Title, s.URL, s.Reason)
	}
	printImported(e, path, added)
	return nil
}

// topicFor is the configured topic an outline names, by name or title (in
// any case), else the fallback; "" when neither is a topic.
func topicFor(cfg *Config, outline, fallback string) string {
	for _, t := range cfg.Topics {
		if outline != "" && (strings.EqualFold(t.Name, outline) || strings.EqualFold(t.Title, outline)) {
			return t.Name
		}
	}
	return fallback
}

// printImported says what an import changed, and that a re-import
// changed nothing.
func printImported(e *env, path string, added []store.Added) {
	var fresh, joined, reenabled int
	for _, a := range added {
		switch {
		case a.NewFeed:
			fresh++
		case a.Reenabled:
			reenabled++
		case a.NewTopic:
			joined++
		}
	}
	if unchanged := len(added) - fresh - joined - reenabled; unchanged == len(added) {
		fmt.Fprintf(e.stdout, "nothing changed: the %d feeds of %s are already subscribed in those topics\n", len(added), path)
	} else {
		fmt.Fprintf(e.stdout, "imported %d feeds from %s: %d new, %d added to another topic, %d re-enabled, %d already subscribed\n",
			len(added), path, fresh, joined, reenabled, unchanged)
	}
}

func opmlExport(ctx context.Context, e *env) error {
	cfg, _, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := syncConfig(ctx, cfg, st); err != nil { // config feeds count before their first poll
		return err
	}
	list, err := st.Feeds(ctx)
	if err != nil {
		return err
	}
	var out []feeds.OPMLFeed
	for _, f := range list {
		for _, t := range f.Topics {
			out = append(out, feeds.OPMLFeed{URL: f.URL, Title: f.Title, Topic: t, SiteURL: f.SiteURL})
		}
	}
	return feeds.WriteOPML(e.stdout, "Herald subscriptions", out)
}
