package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"herald/config"
	"herald/store"
)

// command is one subcommand of the herald binary.
type command struct {
	name, args, help string
	run              func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "", "run the daemon: poll on schedule, deduplicate, serve", cmdRun},
		{"poll", "[--topic T] [--feed URL] [--all]", "poll due feeds once, then exit", cmdPoll},
		{"feeds", "[--json]", "list every feed's health", cmdFeeds},
		{"add", "URL --topic T", "subscribe to a feed, discovering it from a web page", cmdAdd},
		{"opml", "import FILE [--topic T] | export", "import or export subscriptions as OPML 2.0", cmdOPML},
		{"check-config", "", "validate the configuration and print it with secrets masked", cmdCheckConfig},
		{"eval", "FILE [flags] | fit | cv | lexicon", "score the deduplicator on a labeled file; fit its weights, cross-validate it, build its word tables", cmdEval},
		{"digest", "preview|send|list [flags]", "preview, send or list the email digests (see README: Digests)", cmdDigest},
		{"migrate", "status | up", "show or apply the database schema migrations", cmdMigrate},
		{"copy", "--from DSN --to DSN", "copy every row into another, empty database (SQLite to PostgreSQL)", cmdCopy},
	}
}

// env is what every subcommand gets: where to write and how to find its
// configuration. It replaces globals.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	configPath     string
}

// run is the whole program behind main, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr, configPath: "config.yaml"}
	if p := getenv("HERALD_CONFIG"); p != "" {
		e.configPath = p
	}
	top := flag.NewFlagSet("herald", flag.ContinueOnError)
	top.SetOutput(stderr)
	top.StringVar(&e.configPath, "config", e.configPath, "configuration file (or $HERALD_CONFIG)")
	top.Usage = func() { usage(stderr) }
	if err := top.Parse(args); err != nil {
		return flagErr(err)
	}
	if top.NArg() == 0 {
		usage(stderr)
		return errors.New("no command given")
	}
	name := top.Arg(0)
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, top.Args()[1:])
		}
	}
	if name == "help" {
		usage(stdout)
		return nil
	}
	return fmt.Errorf("unknown command %q: run `herald help` for the list", name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: herald [--config FILE] COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %-36s %s\n", c.name, c.args, c.help)
	}
	fmt.Fprintln(w, "\nEvery command takes --help.")
}

// flags makes a subcommand's flag set with a usage line naming it.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.configPath, "config", e.configPath, "configuration file")
	for _, c := range commands() {
		if c.name == name {
			fs.Usage = func() {
				fmt.Fprintf(e.stderr, "Usage: herald %s %s\n\n%s.\n\nFlags:\n", name, c.args, capitalize(c.help))
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

// parseFlags parses the flags of a command that takes no other arguments,
// and refuses any it is given. --help comes back as flag.ErrHelp, for
// flagErr.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%s takes no arguments, but was given %q: remove it (see --help)", fs.Name(), strings.Join(fs.Args(), " "))
	}
	return nil
}

// flagErr turns -help into a clean exit and keeps other parse errors.
func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// setup loads the configuration, makes the logger and opens the store: what
// most subcommands need first.
func (e *env) setup(ctx context.Context) (*Config, *slog.Logger, *store.Store, error) {
	cfg, err := LoadConfig(e.configPath, e.getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	log := newLogger(cfg.Log, e.stderr)
	logWarnings(log, cfg)
	st, err := store.Open(ctx, e.dsn(cfg))
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, log, st, nil
}

// logWarnings logs the settings of cfg that work but are likely mistakes.
func logWarnings(log *slog.Logger, cfg *Config) {
	for _, w := range cfg.Warnings() {
		log.Warn("config: "+w, "config", cfg.Path())
	}
}

// dsn is the database to use: $HERALD_DATABASE_URL, else `storage`.
func (e *env) dsn(cfg *Config) string {
	if v := e.getenv("HERALD_DATABASE_URL"); v != "" {
		return v
	}
	return cfg.Storage
}

func newLogger(c config.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level)) // validated with the config
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// isTerminal reports whether w is a terminal, for progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
