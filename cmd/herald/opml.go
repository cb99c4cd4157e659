package main

import (
	"context"
	"fmt"
	"os"
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
	list, err := feeds.ReadOPML(f)
	if err != nil {
		return fmt.Errorf("opml import %s: %w", path, err)
	}
	cfg, _, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	specs := make([]store.FeedSpec, 0, len(list))
	for _, o := range list {
		topic := o.Topic
		if topic == "" || !hasTopic(cfg, topic) {
			topic = defaultTopic
		}
		if !hasTopic(cfg, topic) {
			return fmt.Errorf("opml import: feed %s has topic %q, which is not in %s: add the topic there or pass --topic", o.URL, o.Topic, cfg.path)
		}
		specs = append(specs, store.FeedSpec{URL: o.URL, Title: o.Title, Topic: topic})
	}
	// One transaction: an import that fails part-way adds nothing.
	if _, err := st.AddFeeds(ctx, specs, store.OriginCLI, time.Now()); err != nil {
		return fmt.Errorf("opml import %s: %w", path, err)
	}
	fmt.Fprintf(e.stdout, "imported %d feeds from %s\n", len(specs), path)
	return nil
}

func opmlExport(ctx context.Context, e *env) error {
	_, _, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	list, err := st.Feeds(ctx)
	if err != nil {
		return err
	}
	var out []feeds.OPMLFeed
	for _, f := range list {
		for _, t := range f.Topics {
			out = append(out, feeds.OPMLFeed{URL: f.URL, Title: f.Title, Topic: t})
		}
	}
	return feeds.WriteOPML(e.stdout, "Herald subscriptions", out)
}
